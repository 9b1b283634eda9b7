"""Run directories: their layout, creating them, one process at a time (an exclusive lock),
unique names, which checkpoint a resume continues from, and pruning the checkpoints no link
points at (never one a reader holds: the shared lock of ``reading``).

A run directory holds ``RUN_FILES`` and the ``.lock`` file. A process that trains in it holds
an exclusive ``flock`` on ``.lock`` for the run's whole life, so a second process pointed at
the same directory (a new run or a resume) is refused at once instead of interleaving rows.
The kernel drops the lock when the process ends, however it ends.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from typing import Optional

from . import checkpoint
from .config import Config
from .errors import CheckpointError, RunDirLocked, RunDirNotEmpty, UserError

# The layout of a run directory (the config file is in each checkpoint too).
CONFIG_FILE = "config.json"
HISTORY_FILE = "history.csv"
TENSORBOARD_DIR = "tb"
CHECKPOINTS_DIR = "checkpoints"  # step-NNNNNNNNN/ checkpoints, and the links below
SCOPE_DIR = "scope"
LATEST, BEST = "latest", "best"  # links to the newest checkpoint and the best evaluation's
LOCK_FILE = ".lock"
RUN_FILES = (CONFIG_FILE, HISTORY_FILE, TENSORBOARD_DIR, CHECKPOINTS_DIR, SCOPE_DIR, "policy.mp4",
             "curve.png")


def checkpoints_dir(run_dir: str) -> str:
    return os.path.join(run_dir, CHECKPOINTS_DIR)


def inside_checkpoints(path: str) -> Optional[str]:
    """The run's ``checkpoints/`` directory that ``path`` is in or under (after links), where
    nothing but checkpoints may be written (pruning removes the rest), or None."""
    path = os.path.realpath(path)
    while True:
        parent = os.path.dirname(path)
        if os.path.basename(path) == CHECKPOINTS_DIR and any(
                os.path.exists(os.path.join(parent, name)) for name in (CONFIG_FILE, LOCK_FILE)):
            return path
        if parent == path:
            return None
        path = parent


def latest_checkpoint(run_dir: str) -> Optional[str]:
    """The checkpoint a resume of ``run_dir`` continues from: the one ``latest`` points at;
    if that link is missing or dangling, the newest complete ``step-*`` checkpoint (a kill
    between the rename and the link, or a hand-deleted directory); None if there is none."""
    directory = checkpoints_dir(run_dir)
    linked = checkpoint.resolve_link(directory, LATEST)
    if linked:
        return linked
    try:
        steps = sorted(e for e in os.listdir(directory) if e.startswith("step-"))
    except OSError:
        return None
    complete = [e for e in steps if os.path.exists(os.path.join(directory, e, checkpoint.META_FILE))]
    return os.path.join(os.path.realpath(directory), complete[-1]) if complete else None


class RunDir:
    """``path`` opened for one run: created if missing, locked until ``close``.

    ``new``: a new run, which needs the directory free: empty, or holding only the files of
    a run that never wrote a checkpoint (nothing there can be resumed; they are replaced).
    ``overwrite`` replaces a run's files whatever they hold.
    """

    def __init__(self, path: str, new: bool, overwrite: bool = False):
        self.path, self._fd = path, None
        self.created = _topmost_missing(path)  # what discard removes (None: nothing)
        try:
            os.makedirs(path, exist_ok=True)
            self._fd = os.open(os.path.join(path, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UserError(f"cannot use run directory {path}: {exc.strerror}") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._fd)
            raise RunDirLocked(f"run directory {path} is in use by another process") from None
        if new:
            try:
                self._make_room(overwrite)
            except BaseException:
                self.close()
                raise

    def _make_room(self, overwrite: bool) -> None:
        entries = set(os.listdir(self.path)) - {LOCK_FILE}
        resumable = latest_checkpoint(self.path) is not None
        if entries and not overwrite and (resumable or not entries <= set(RUN_FILES)):
            raise RunDirNotEmpty(f"run directory {self.path} is not empty")
        try:
            for name in entries & set(RUN_FILES):
                target = os.path.join(self.path, name)
                if os.path.isdir(target) and not os.path.islink(target):
                    shutil.rmtree(target)
                else:
                    os.remove(target)
        except OSError as exc:
            raise UserError(f"cannot prepare run directory {self.path}: {exc.strerror}") from None

    def close(self, discard: bool = False) -> None:
        """Releases the lock; ``discard``: a run that failed before it wrote anything of use
        also removes the directory, if it made it."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if discard and self.created:
            shutil.rmtree(self.created, ignore_errors=True)


def prune_checkpoints(checkpoints_dir: str) -> None:
    """Removes checkpoints no link points at, and leftovers of interrupted writes: temporary
    directories, and temporary links (a kill between making one and renaming it)."""
    for entry in os.listdir(checkpoints_dir):
        if entry.startswith(".tmp-link-"):
            os.remove(os.path.join(checkpoints_dir, entry))
    keep = {os.path.basename(os.path.realpath(os.path.join(checkpoints_dir, link)))
            for link in os.listdir(checkpoints_dir)
            if os.path.islink(os.path.join(checkpoints_dir, link))}
    for entry in os.listdir(checkpoints_dir):
        path = os.path.join(checkpoints_dir, entry)
        if os.path.islink(path) or entry in keep:
            continue
        if entry.startswith(("step-", ".tmp-")):
            _remove_unless_read(path)


@contextlib.contextmanager
def reading(directory: str):
    """Holds a shared lock on the checkpoint ``directory`` while it is read, so that the run
    writing checkpoints does not prune it meanwhile (``prune_checkpoints`` takes an exclusive
    one first: ``_remove_unless_read``). Yields False if it was pruned first."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        yield False
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield os.path.isdir(directory) and os.path.exists(os.path.join(directory, checkpoint.META_FILE))
    finally:
        os.close(fd)


def _remove_unless_read(path: str) -> None:
    """Removes the checkpoint directory ``path`` unless a reader holds it (``reading``); a
    later prune removes it then."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return
    try:
        shutil.rmtree(path, ignore_errors=True)
    finally:
        os.close(fd)


def _topmost_missing(path: str):
    """The outermost directory that ``os.makedirs(path)`` would create, or None."""
    path, missing = os.path.abspath(path), None
    while not os.path.exists(path):
        missing, path = path, os.path.dirname(path)
    return missing


def default_name(parent: str, stem: str) -> str:
    """``parent/stem-YYYYmmdd-HHMMSS-PID``: two runs of the same preset and seed started in
    the same second on one machine get different names."""
    return os.path.join(parent, f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")


def resume_config(run_dir: str) -> Config:
    """The config a run directory was started with."""
    if not os.path.exists(run_dir):
        raise CheckpointError(f"nothing to resume: {run_dir} does not exist")
    if not os.path.isdir(run_dir):
        raise CheckpointError(f"nothing to resume: {run_dir} is a file, not a run directory")
    return Config.load(os.path.join(run_dir, CONFIG_FILE))
