"""Independent seeds for every random source of a run, all derived from ``config.seed``."""
from __future__ import annotations

import numpy as np


class Seeds:
    """One seed per random source, each from its own child of ``SeedSequence(seed)``: adding a
    source (at the end of ``NAMES``) never changes the others' streams."""

    NAMES = ("env", "eval_env", "noise", "replay", "warmup", "graph", "target_noise")

    def __init__(self, seed: int):
        children = np.random.SeedSequence(seed).spawn(len(self.NAMES))
        for name, child in zip(self.NAMES, children):
            setattr(self, name, int(child.generate_state(1)[0] & 0x7FFFFFFF))

    def sub(self, name: str, index: int) -> int:
        """Source ``name``'s seed for sub-env ``index`` of a vector env: the source's own for
        env 0 (a one-env run's), then independent children of it."""
        if index == 0:
            return getattr(self, name)
        child = np.random.SeedSequence(getattr(self, name), spawn_key=(index,))
        return int(child.generate_state(1)[0] & 0x7FFFFFFF)

    def rng(self, name: str, index: int = 0) -> np.random.Generator:
        return np.random.default_rng(self.sub(name, index))
