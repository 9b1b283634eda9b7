"""Exploration noise processes. Each is seeded, reset per episode and serialisable.

A process returns one sample of shape ``[action_dim]`` per call, in the units it was given
(the runner scales by half the action range when ``noise_relative`` is set). Its size is
``sigma`` (``config.noise_sigma``) whatever the process; the episode number comes from the
trainer's counter at each ``reset(episode)``: no process keeps a count of its own.
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from . import config as _config


class Noise:
    """Base class: ``sample()`` once per step, ``reset(episode)`` at the start of episode
    ``episode`` (0-based)."""

    # state keys of ddpg_graph 0.1.0's checkpoints: read under today's names, or dropped (None)
    RENAMED = {"level": "sigma", "scale": "sigma", "resets": None}

    def __init__(self, action_dim: int, rng: np.random.Generator):
        self.action_dim = int(action_dim)
        self.rng = rng

    @classmethod
    def from_config(cls, config, action_dim: int, rng: np.random.Generator) -> "Noise":
        """The process with ``config``'s parameters."""
        return cls(action_dim, rng)

    def sample(self) -> np.ndarray:
        raise NotImplementedError

    def reset(self, episode: int) -> None:
        """Called at the start of episode ``episode``."""

    def on_update(self) -> None:
        """Called after every learning update."""

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
            key = self.RENAMED.get(key, key)
            if key is not None:
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

    @classmethod
    def from_config(cls, config, action_dim, rng):
        return cls(action_dim, rng, config.noise_sigma, config.noise_theta, config.noise_mu,
                   config.noise_dt)

    def sample(self) -> np.ndarray:
        self.x = (self.x + self.theta * (self.mu - self.x) * self.dt
                  + self.sigma * np.sqrt(self.dt) * self.rng.standard_normal(self.action_dim))
        return self.x

    def reset(self, episode: int) -> None:
        self.x = np.full(self.action_dim, self.mu)


class DecayingGaussian(Noise):
    """White ``N(0, σ²)`` noise whose σ is multiplied by ``decay`` after every sample, or,
    with ``decay_on="update"``, after every learning update (Morvan: σ = 3, decay 0.9995 per
    update once the memory is full). σ carries over episodes: ``reset()`` keeps it."""

    def __init__(self, action_dim, rng, sigma=0.1, decay=1.0, decay_on="sample"):
        super().__init__(action_dim, rng)
        self.sigma, self.decay, self.decay_on = float(sigma), float(decay), decay_on

    @classmethod
    def from_config(cls, config, action_dim, rng):
        return cls(action_dim, rng, config.noise_sigma, config.noise_decay, config.noise_decay_on)

    def sample(self) -> np.ndarray:
        value = self.sigma * self.rng.standard_normal(self.action_dim)
        if self.decay_on == "sample":
            self.sigma *= self.decay
        return value

    def on_update(self) -> None:
        if self.decay_on == "update":
            self.sigma *= self.decay


class EmamiOffset(Noise):
    """The tflearn tutorial's exploration: a constant offset ``1 / (1 + episode)`` added to
    every action of episode ``episode`` (0-based). Deterministic."""

    def __init__(self, action_dim, rng):
        super().__init__(action_dim, rng)
        self.episode = 0

    def sample(self) -> np.ndarray:
        return np.full(self.action_dim, 1.0 / (1.0 + self.episode))

    def reset(self, episode: int) -> None:
        self.episode = episode


class _EpisodeDecay(Noise):
    """A process whose ``sigma`` is multiplied by ``episode_decay`` at the start of every
    episode after the first; its own state carries over episodes."""

    @classmethod
    def from_config(cls, config, action_dim, rng):
        return cls(action_dim, rng, config.noise_sigma, config.noise_episode_decay)

    def reset(self, episode: int) -> None:
        if episode > 0:  # episode 0 starts at the initial sigma
            self.sigma *= self.episode_decay


class PinkNoise(_EpisodeDecay):
    """True 1/f noise per action dimension, streamed one sample per step (Voss-McCartney).

    ``rows`` independent Gaussian sources are held; at step n the source numbered by the
    count of trailing zero bits of n is redrawn, so source k changes every 2^k steps, and
    a fresh white term is added. The sum has a power spectral density close to 1/f over
    about ``rows`` octaves (2^16 = 4.8 decades by default). Each sample has zero mean and
    unit variance before scaling by ``sigma``, which is multiplied by ``episode_decay`` at
    the start of every episode after the first (the sources themselves carry on: the process
    is stationary).
    """

    def __init__(self, action_dim, rng, sigma=1.0, episode_decay=1.0, rows=16):
        super().__init__(action_dim, rng)
        self.sigma, self.episode_decay, self.rows = float(sigma), float(episode_decay), int(rows)
        self.sources = self.rng.standard_normal((self.rows, self.action_dim))
        self.counter = 0

    def sample(self) -> np.ndarray:
        self.counter += 1
        # trailing zero bits of the counter pick the source to redraw (one per step)
        row = min((self.counter & -self.counter).bit_length() - 1, self.rows - 1)
        self.sources[row] = self.rng.standard_normal(self.action_dim)
        total = self.sources.sum(axis=0) + self.rng.standard_normal(self.action_dim)
        return self.sigma * total / np.sqrt(self.rows + 1)


class CantonNoise(_EpisodeDecay):
    """ctmakro's canton agent's exploration noise, as published: every step
    ``x <- 0.9 (x + N(0, sigma^2))``, output in units of half the action range (the runner
    scales it), ``sigma`` (the tutorial's noise level) multiplied by ``episode_decay`` (0.99)
    at each new episode.

    Despite the tutorial's "1/f noise", this is a leaky integrator of white noise: an AR(1)
    process whose spectrum is flat below ~f = 0.017 and falls as 1/f^2 (red/Brownian noise)
    above it, not 1/f. Its stationary standard deviation is ``0.9 / sqrt(1 - 0.81) * level``
    = 2.06 sigma. For real 1/f noise use ``PinkNoise`` (``noise="pink"``).
    """

    LEAK = 0.9

    def __init__(self, action_dim, rng, sigma=0.1, episode_decay=0.99):
        super().__init__(action_dim, rng)
        self.sigma, self.episode_decay = float(sigma), float(episode_decay)
        self.x = np.zeros(self.action_dim)

    def sample(self) -> np.ndarray:
        self.x = self.LEAK * (self.x + self.sigma * self.rng.standard_normal(self.action_dim))
        return self.x


def make_noise(config, action_dim: int, rng: np.random.Generator) -> Noise:
    """The noise process that ``config.noise`` names (``config.NOISES``), with the config's
    parameters."""
    return globals()[_config.NOISES[config.noise]].from_config(config, action_dim, rng)
