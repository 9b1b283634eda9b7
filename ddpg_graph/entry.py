"""What every entry point does first and last: the command line, the reproduce scripts, the
tools and the sweep's Ray workers import TensorFlow quietly, and turn the package's errors
into one line and an exit status."""
from __future__ import annotations

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
