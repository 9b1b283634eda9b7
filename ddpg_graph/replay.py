"""Replay memory: a preallocated numpy ring with O(1) add and seeded, vectorised sampling."""
from __future__ import annotations

import os
from typing import Dict

import numpy as np

from .errors import UserError

FIELDS = ("s", "a", "r", "done", "s2")


class ReplayBuffer:
    """Holds the last ``capacity`` transitions ``(s, a, r, done, s2)``.

    ``sample`` returns a dict of arrays ``s [B,S]``, ``a [B,A]``, ``r [B,1]``, ``done [B,1]``,
    ``s2 [B,S]``. The arrays are reused by the next ``sample`` call of the same batch size
    (no per-step allocation): copy them if you keep them.
    """

    def __init__(self, capacity: int, obs_dim: int, action_dim: int,
                 rng: np.random.Generator, dtype=np.float32):
        self.capacity = int(capacity)
        self.rng = rng
        shapes = {"s": obs_dim, "a": action_dim, "r": 1, "done": 1, "s2": obs_dim}
        self.storage = {k: np.zeros((self.capacity, shapes[k]), dtype) for k in FIELDS}
        self.position = 0  # where the next transition goes
        self.size = 0
        self._batch: Dict[str, np.ndarray] = {}

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

    def sample(self, batch_size: int) -> Dict[str, np.ndarray]:
        """A uniform sample, with replacement, of ``batch_size`` stored transitions."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        index = self.rng.integers(0, self.size, size=batch_size)
        if not self._batch or len(self._batch["r"]) != batch_size:
            self._batch = {k: np.empty((batch_size,) + v.shape[1:], v.dtype)
                           for k, v in self.storage.items()}
        for key, column in self.storage.items():
            np.take(column, index, axis=0, out=self._batch[key])
        return self._batch

    # -- checkpoints: numpy binary files of the filled part, plus the ring's position ------
    def save(self, directory: str) -> None:
        for key, column in self.storage.items():
            np.save(os.path.join(directory, f"replay_{key}.npy"), column[:self.size])

    def state_dict(self) -> Dict:
        return {"position": self.position, "size": self.size, "capacity": self.capacity,
                "rng": self.rng.bit_generator.state}

    def load(self, directory: str, state: Dict) -> None:
        if state["capacity"] != self.capacity:
            raise UserError(f"checkpoint replay buffer holds {state['capacity']} transitions, "
                            f"this config {self.capacity}")
        size = state["size"]
        for key, column in self.storage.items():
            path = os.path.join(directory, f"replay_{key}.npy")
            try:
                values = np.load(path, allow_pickle=False)
            except (OSError, ValueError):
                raise UserError(f"corrupt checkpoint: cannot read {path}") from None
            if values.shape != (size,) + column.shape[1:]:
                raise UserError(f"corrupt checkpoint: {path} has shape {values.shape}, "
                                f"expected {(size,) + column.shape[1:]}")
            column[:size] = values
        self.position, self.size = state["position"], size
        self.rng.bit_generator.state = state["rng"]
