"""Exploration noise processes. Each is seeded, reset per episode and serialisable.

A process returns one sample of shape ``[action_dim]`` per call, in the units it was given
(the runner scales by half the action range when ``noise_relative`` is set).
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from .errors import UserError


class Noise:
    """Base class: ``sample()`` once per step, ``reset()`` at every episode start."""

    def __init__(self, action_dim: int, rng: np.random.Generator):
        self.action_dim = int(action_dim)
        self.rng = rng

    def sample(self) -> np.ndarray:
        raise NotImplementedError

    def reset(self) -> None:
        """Called at the start of every episode."""

    # -- resume support: the process' own state plus its generator's ------------------
    def state_dict(self) -> Dict[str, Any]:
        state = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                 for k, v in vars(self).items() if k != "rng"}
        state["rng"] = self.rng.bit_generator.state
        return state

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        state = dict(state)
        self.rng.bit_generator.state = state.pop("rng")
        for key, value in state.items():
            setattr(self, key, value.copy() if isinstance(value, np.ndarray) else value)


class NoNoise(Noise):
    def sample(self) -> np.ndarray:
        return np.zeros(self.action_dim)


class OrnsteinUhlenbeck(Noise):
    """``x += θ(μ - x)dt + σ√dt·N(0, 1)``; mean-reverting to μ with stationary variance
    ``σ²dt / (1 - (1 - θdt)²)`` (→ σ²/2θ for small dt). Restarts from μ at ``reset()``."""

    def __init__(self, action_dim, rng, sigma=0.3, theta=0.15, mu=0.0, dt=1.0):
        super().__init__(action_dim, rng)
        self.sigma, self.theta, self.mu, self.dt = float(sigma), float(theta), float(mu), float(dt)
        self.x = np.full(self.action_dim, self.mu)

    def sample(self) -> np.ndarray:
        self.x = (self.x + self.theta * (self.mu - self.x) * self.dt
                  + self.sigma * np.sqrt(self.dt) * self.rng.standard_normal(self.action_dim))
        return self.x

    def reset(self) -> None:
        self.x = np.full(self.action_dim, self.mu)


class DecayingGaussian(Noise):
    """White ``N(0, σ²)`` noise whose σ is multiplied by ``decay`` after every sample
    (Morvan: σ = 3, decay 0.9995). σ carries over episodes: ``reset()`` keeps it."""

    def __init__(self, action_dim, rng, sigma=0.1, decay=1.0):
        super().__init__(action_dim, rng)
        self.sigma, self.decay = float(sigma), float(decay)

    def sample(self) -> np.ndarray:
        value = self.sigma * self.rng.standard_normal(self.action_dim)
        self.sigma *= self.decay
        return value


class EmamiOffset(Noise):
    """The tflearn tutorial's exploration: a constant offset ``1 / (1 + episode)`` added to
    every action of episode ``episode`` (0-based). Deterministic; ``reset()`` moves to the
    next episode."""

    def __init__(self, action_dim, rng):
        super().__init__(action_dim, rng)
        self.episode = -1  # the runner's first reset() starts episode 0

    def sample(self) -> np.ndarray:
        return np.full(self.action_dim, 1.0 / (1.0 + max(self.episode, 0)))

    def reset(self) -> None:
        self.episode += 1


def make_noise(config, action_dim: int, rng: np.random.Generator) -> Noise:
    """The noise process that ``config.noise`` names, with the config's parameters."""
    if config.noise == "ou":
        return OrnsteinUhlenbeck(action_dim, rng, config.noise_sigma, config.noise_theta,
                                 config.noise_mu, config.noise_dt)
    if config.noise == "gaussian":
        return DecayingGaussian(action_dim, rng, config.noise_sigma, config.noise_decay)
    if config.noise == "emami_offset":
        return EmamiOffset(action_dim, rng)
    if config.noise == "none":
        return NoNoise(action_dim, rng)
    raise UserError(f"unknown noise {config.noise!r}")
