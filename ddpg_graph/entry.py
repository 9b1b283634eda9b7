"""What every entry point does first and last: the command line, the reproduce scripts, the
tools and the sweep's Ray workers load TensorFlow quietly and cheaply (``load_tensorflow``),
and turn the package's errors into one line and an exit status (``run_safely``)."""
from __future__ import annotations

import atexit
import gc
import os
import sys

from .errors import Interrupted, RunError, UserError

EXIT_RUN_STOPPED = 1  # a run stopped (divergence, a failed write); its message names the checkpoint
EXIT_USAGE = 2  # bad input


def quiet_tensorflow() -> None:
    """Imports TensorFlow without its C++ start-up chatter on stderr (for entry points only).

    TF 2.21 prints absl/oneDNN/CUDA notices at import regardless of TF_CPP_MIN_LOG_LEVEL, so
    file descriptor 2 points at /dev/null for the import alone; Python errors still surface.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    tf.get_logger().setLevel("ERROR")


def load_tensorflow() -> None:
    """TensorFlow for a process of ours (the command line, the tools, a sweep's Ray workers;
    never the Python API, which leaves the caller's process as it finds it), imported quietly
    and as cheaply as it goes:

    - ``tf.keras`` is ``tf_keras`` (``TF_USE_LEGACY_KERAS=1`` unless it is set). The package
      builds only tf_keras models (Keras 3 has no graph mode), and TensorFlow 2.21 otherwise
      imports Keras 3, and matplotlib with it, at its own import: 1.5 s of 7 s.
    - At exit, the objects alive are frozen (``gc.freeze``) before the interpreter's last
      garbage collection, which would walk TensorFlow's Python objects for 1.5 s and free
      nothing that the process's end does not. Everything the package writes is closed and
      flushed explicitly before then.
    """
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    quiet_tensorflow()
    atexit.unregister(gc.freeze)  # (once, however many times this is called)
    atexit.register(gc.freeze)


def run_safely(func, *args, hints=None) -> int:
    """Calls ``func``; a UserError becomes one stderr line and exit status 2, a RunError
    (divergence, a failed checkpoint write) one line and status 1, Ctrl-C status 130 and
    SIGTERM 143. ``hints``: exception type -> text added to its line (the CLI's flag hints)."""
    try:
        return func(*args)
    except (UserError, RunError) as exc:
        hint = next((text for kind, text in (hints or {}).items() if isinstance(exc, kind)), "")
        print(f"error: {exc}{hint}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, UserError) else EXIT_RUN_STOPPED
    except Interrupted as exc:
        hint = f"; continue with --resume {exc.run_dir}" if exc.run_dir else ""
        print(f"{exc}{hint}", file=sys.stderr)
        return 128 + exc.signum  # 130 for Ctrl-C, 143 for SIGTERM
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (| head): no traceback, no flush error at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13  # as if killed by SIGPIPE
