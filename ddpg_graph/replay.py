"""Replay memory: a preallocated numpy ring with O(1) add and seeded, vectorised sampling."""
from __future__ import annotations

import os
from typing import Dict

import numpy as np

from . import checkpoint
from .errors import CheckpointError

FIELDS = ("s", "a", "r", "done", "s2")
INDEX_FILE = "replay.json"  # the ring's position and size


class ReplayBuffer:
    """Holds the last ``capacity`` transitions ``(s, a, r, done, s2)``.

    ``sample`` returns a dict of arrays ``s [B,S]``, ``a [B,A]``, ``r [B,1]``, ``done [B,1]``,
    ``s2 [B,S]`` (with ``steps`` K > 1: K independent batches stacked, ``s [K,B,S]`` ...).
    The arrays, the index and the uniform draws behind it are preallocated and reused by the
    next ``sample`` call of the same shape (no per-step allocation): copy them if you keep them.
    """

    def __init__(self, capacity: int, obs_dim: int, action_dim: int,
                 rng: np.random.Generator, dtype=np.float32):
        self.capacity = int(capacity)
        self.rng = rng
        shapes = {"s": obs_dim, "a": action_dim, "r": 1, "done": 1, "s2": obs_dim}
        self.storage = {k: np.zeros((self.capacity, shapes[k]), dtype) for k in FIELDS}
        self.position = 0  # where the next transition goes
        self.size = 0
        self._shape = None  # (steps, batch_size) the buffers below are for
        self._draws = self._index = None
        self._rows: Dict[str, np.ndarray] = {}  # [K*B, ...] gather targets
        self._batch: Dict[str, np.ndarray] = {}  # views of them shaped [B, ...] or [K, B, ...]

    def __len__(self) -> int:
        return self.size

    def add(self, s, a, r, done, s2) -> None:
        i = self.position
        store = self.storage
        store["s"][i] = s
        store["a"][i] = a
        store["r"][i] = r
        store["done"][i] = done
        store["s2"][i] = s2
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def add_batch(self, s, a, r, done, s2) -> None:
        """Adds N transitions at once (arrays with N rows; ``r`` and ``done`` [N] or [N,1]),
        in order, as N calls of ``add`` would."""
        n, i = len(s), self.position
        # rows i..i+n-1, or, where they pass the end, wrapped around to the start
        rows = slice(i, i + n) if i + n <= self.capacity else (i + np.arange(n)) % self.capacity
        for key, values in zip(FIELDS, (s, a, r, done, s2)):
            self.storage[key][rows] = np.reshape(values, (n, -1))
        self.position = (i + n) % self.capacity
        self.size = min(self.size + n, self.capacity)

    def sample(self, batch_size: int, steps: int = 1) -> Dict[str, np.ndarray]:
        """A uniform sample, with replacement, of ``batch_size`` stored transitions, or of
        ``steps`` such batches stacked when ``steps`` > 1."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        if self._shape != (steps, batch_size):
            self._allocate(steps, batch_size)
        # index = floor(u * size), u ~ U[0, 1): drawn into the preallocated arrays
        draws, index = self._draws, self._index
        self.rng.random(out=draws)
        np.multiply(draws, self.size, out=draws)
        np.copyto(index, draws, casting="unsafe")  # truncation = floor for non-negatives
        np.minimum(index, self.size - 1, out=index)  # u * size may round up to size
        for key, column in self.storage.items():
            # mode="clip": with the default "raise", numpy gathers into a temporary buffer first
            np.take(column, index, axis=0, out=self._rows[key], mode="clip")
        return self._batch

    def _allocate(self, steps: int, batch_size: int) -> None:
        rows = steps * batch_size
        self._shape = (steps, batch_size)
        self._draws = np.empty(rows, np.float64)
        self._index = np.empty(rows, np.int64)
        self._rows = {k: np.empty((rows,) + v.shape[1:], v.dtype) for k, v in self.storage.items()}
        lead = (batch_size,) if steps == 1 else (steps, batch_size)
        self._batch = {k: v.reshape(lead + v.shape[1:]) for k, v in self._rows.items()}

    # -- checkpoints: numpy binary files of the filled part, plus the ring's position ------
    # -- a checkpoint part (see checkpoint.Bundle) --------------------------------------
    def save(self, directory: str) -> None:
        """Writes the filled rows (``replay_<field>.npy``) and the ring's position and
        generator (``replay.json``)."""
        for key, column in self.storage.items():
            np.save(os.path.join(directory, f"replay_{key}.npy"), column[:self.size])
        checkpoint.dump_state(os.path.join(directory, INDEX_FILE), {
            "position": self.position, "size": self.size, "capacity": self.capacity,
            "rng": self.rng.bit_generator.state})

    def check(self, directory: str) -> None:
        """Refuses a replay whose capacity or arrays do not fit this buffer."""
        state = checkpoint.load_state(os.path.join(directory, INDEX_FILE))
        if state.get("capacity") != self.capacity:
            raise CheckpointError(f"checkpoint {directory} has a replay buffer of "
                                  f"{state.get('capacity')} transitions, this config {self.capacity}")
        for key, column in self.storage.items():
            path = os.path.join(directory, f"replay_{key}.npy")
            try:
                shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
            except (OSError, ValueError):
                raise CheckpointError(f"corrupt checkpoint: cannot read {path}") from None
            if shape != (state["size"],) + column.shape[1:]:
                raise CheckpointError(f"corrupt checkpoint: {path} has shape {shape}, "
                                      f"expected {(state['size'],) + column.shape[1:]}")

    def restore(self, directory: str) -> None:
        self.check(directory)
        state = checkpoint.load_state(os.path.join(directory, INDEX_FILE))
        size = state["size"]
        for key, column in self.storage.items():
            column[:size] = np.load(os.path.join(directory, f"replay_{key}.npy"), allow_pickle=False)
        self.position, self.size = state["position"], size
        self.rng.bit_generator.state = state["rng"]
