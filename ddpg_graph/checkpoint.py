"""Atomic checkpoint directories: write aside, fsync, rename, then swing a symlink.

Layout under a run's ``checkpoints/``::

    step-000012000/      one complete checkpoint: a ``Bundle`` of the run's parts, and meta
    latest -> step-…     symlinks, replaced atomically with os.replace
    best   -> step-…

A checkpoint is first written to ``.tmp-…`` beside its final name. Only when every file is
fsynced is the directory renamed and the symlink replaced, so a crash or a full disk at any
moment leaves the previous checkpoint intact and ``latest`` pointing at it.

What goes in a checkpoint is a ``Bundle``: each part of a run keeps its own state, and the
bundle writes them together and checks a checkpoint against the run (its metadata, then each
part's files) before it restores anything, for a resumed run and an evaluation alike.
"""
from __future__ import annotations

import json
import os
import shutil
import pickle
from typing import Callable, Dict, Optional

import numpy as np

from . import __version__
from .errors import CheckpointError, first_line

FORMAT_VERSION = 2  # 2: trainer.json holds one state per part, by the part's name
META_FILE = "meta.json"
STATE_FILE = "trainer.json"  # the states of a Bundle's parts


class CheckpointWriteError(Exception):
    """A checkpoint could not be written; the previous one is intact."""


def write(checkpoints_dir: str, step: int, fill: Callable[[str], None], meta: Dict,
          links=("latest",)) -> str:
    """Writes a checkpoint for ``step`` via ``fill(tmp_dir)`` and points ``links`` at it."""
    os.makedirs(checkpoints_dir, exist_ok=True)
    name = f"step-{step:09d}"
    final = os.path.join(checkpoints_dir, name)
    tmp = os.path.join(checkpoints_dir, f".tmp-{name}-{os.getpid()}")
    try:
        if os.path.isdir(final):  # this step is saved already (e.g. again on exit): relink only
            for link in links:
                _point(checkpoints_dir, link, name)
            return final
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        fill(tmp)
        _write_json(os.path.join(tmp, META_FILE),
                    dict(meta, format_version=FORMAT_VERSION, package_version=__version__, step=step))
        _fsync_tree(tmp)
        os.rename(tmp, final)
        _fsync_dir(checkpoints_dir)
        for link in links:
            _point(checkpoints_dir, link, name)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        previous = resolve_link(checkpoints_dir, "latest")
        kept = f"the previous checkpoint {previous} is intact" if previous else "no earlier checkpoint exists"
        raise CheckpointWriteError(f"could not write checkpoint at step {step} "
                                   f"({exc.strerror or exc}); {kept}") from None
    return final


class Bundle:
    """The parts of a run that one checkpoint holds, by name.

    ``files``: parts that write and read their own files: ``save(directory)``,
    ``restore(directory)``, and optionally ``check(directory)``, which raises
    ``CheckpointError`` for files it could not restore, changing nothing.
    ``states``: parts whose state is a small tree of numbers, strings and arrays:
    ``state_dict()`` and ``load_state_dict(state)``; all of them go into ``trainer.json``.
    ``meta``: what the run is; a checkpoint whose ``MATCH`` keys differ is refused.
    """

    MATCH = ("preset", "env_id", "obs_dim", "action_dim")

    def __init__(self, meta: Dict, files: Optional[Dict] = None, states: Optional[Dict] = None):
        self.meta, self.files, self.states = meta, files or {}, states or {}

    def save(self, checkpoints_dir: str, step: int, links=("latest",)) -> str:
        return write(checkpoints_dir, step, self._fill, self.meta, links)

    def _fill(self, directory: str) -> None:
        for part in self.files.values():
            part.save(directory)
        if self.states:
            dump_state(os.path.join(directory, STATE_FILE),
                       {name: part.state_dict() for name, part in self.states.items()})

    def restore(self, directory: str) -> None:
        """Checks ``directory`` against this run (metadata, each file part, the state's
        parts), and only then restores every part."""
        meta = read_meta(directory)
        for key in self.MATCH:
            if key in self.meta and meta.get(key) != self.meta[key]:
                raise CheckpointError(f"checkpoint {directory} was made with {key}="
                                      f"{meta.get(key)!r}, this run has {key}={self.meta[key]!r}")
        for part in self.files.values():
            if hasattr(part, "check"):
                part.check(directory)
        state = load_state(os.path.join(directory, STATE_FILE)) if self.states else {}
        missing = [name for name in self.states if name not in state]
        if missing:
            raise CheckpointError(f"corrupt checkpoint {directory}: {STATE_FILE} holds no "
                                  f"{', '.join(missing)}")
        try:
            for part in self.files.values():
                part.restore(directory)
            for name, part in self.states.items():
                part.load_state_dict(state[name])
        except (OSError, KeyError, TypeError, ValueError, IndexError, pickle.UnpicklingError,
                EOFError, AttributeError) as exc:
            raise CheckpointError(f"corrupt checkpoint {directory}: {type(exc).__name__}: "
                                  f"{first_line(exc)}") from None


class GeneratorState:
    """A numpy ``Generator`` as a bundle's state part."""

    def __init__(self, rng):
        self.rng = rng

    def state_dict(self) -> Dict:
        return self.rng.bit_generator.state

    def load_state_dict(self, state: Dict) -> None:
        self.rng.bit_generator.state = state


def resolve_link(checkpoints_dir: str, link: str) -> Optional[str]:
    path = os.path.join(checkpoints_dir, link)
    return os.path.realpath(path) if os.path.isdir(path) else None


def read_meta(directory: str) -> Dict:
    path = os.path.join(directory, META_FILE)
    try:
        with open(path) as f:
            meta = json.load(f)
    except FileNotFoundError:
        raise CheckpointError(f"not a checkpoint (no {META_FILE}): {directory}") from None
    except (OSError, ValueError):
        raise CheckpointError(f"corrupt checkpoint (unreadable {META_FILE}): {directory}") from None
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {directory} has format {meta.get('format_version')}, "
                        f"this ddpg_graph {__version__} reads format {FORMAT_VERSION}")
    return meta


def _point(checkpoints_dir: str, link: str, target: str) -> None:
    tmp_link = os.path.join(checkpoints_dir, f".tmp-link-{link}-{os.getpid()}")
    if os.path.lexists(tmp_link):
        os.remove(tmp_link)
    os.symlink(target, tmp_link)
    os.replace(tmp_link, os.path.join(checkpoints_dir, link))
    _fsync_dir(checkpoints_dir)


def _write_json(path: str, value) -> None:
    with open(path, "w") as f:
        json.dump(value, f, indent=1, sort_keys=True)


def dump_state(path: str, state) -> None:
    """Writes nested dicts/lists of numbers, strings and numpy arrays as exact JSON."""
    with open(path, "w") as f:
        json.dump(_encode(state), f)


def load_state(path: str):
    try:
        with open(path) as f:
            state = _decode(json.load(f))
        if not isinstance(state, dict):
            raise ValueError("not an object")
        return state
    except FileNotFoundError:
        raise CheckpointError(f"corrupt checkpoint: {os.path.basename(path)} is missing in "
                        f"{os.path.dirname(path)}") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise CheckpointError(f"corrupt checkpoint: cannot read {path}") from None


def _encode(value):
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value):
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.array(value["__ndarray__"], dtype=value["dtype"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _fsync_tree(directory: str) -> None:
    for entry in os.listdir(directory):
        path = os.path.join(directory, entry)
        if os.path.isfile(path):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
