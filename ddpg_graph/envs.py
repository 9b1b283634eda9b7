"""Gymnasium environments for DDPG: the old ``Pendulum-v0`` name, legacy gym-API adapter, checks.

The env knows nothing of TensorFlow. ``make_env`` returns a Gymnasium env with a 1-D Box
action space whose first ``reset`` is seeded; a bad id or action space raises ``UserError``.
"""
from __future__ import annotations

from typing import Any, Optional

import gymnasium as gym
import numpy as np

from .errors import UserError

# Names the tutorials used for environments that Gymnasium has since renamed.
# Pendulum-v0 had the dynamics of Pendulum-v1 (v1 only fixed the rendering) and 200 steps.
LEGACY_IDS = {
    "Pendulum-v0": ("Pendulum-v1", 200),
}


class LegacyGymAPI(gym.Wrapper):
    """Adapts an env written for the pre-0.26 gym API to Gymnasium's.

    Old API: ``reset() -> obs`` and ``step(a) -> (obs, reward, done, info)``, where a time
    limit was reported as ``done`` with ``info["TimeLimit.truncated"] = True``. That flag is
    turned into ``truncated`` so that time limits bootstrap instead of ending the return.
    """

    def __init__(self, env: Any):
        # gym.Wrapper wants a gymnasium.Env; the legacy env is duck-typed, so set fields directly.
        self.env = env
        self._action_space = env.action_space
        self._observation_space = env.observation_space
        self._reward_range = getattr(env, "reward_range", (-np.inf, np.inf))
        self._metadata = getattr(env, "metadata", {})
        self._cached_spec = None

    def reset(self, *, seed: Optional[int] = None, options=None):
        if seed is not None and hasattr(self.env, "seed"):
            self.env.seed(seed)
        result = self.env.reset()
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict):
            return result
        return result, {}

    def step(self, action):
        result = self.env.step(action)
        if len(result) == 5:
            return result
        obs, reward, done, info = result
        truncated = bool(done and info.get("TimeLimit.truncated", False))
        return obs, reward, bool(done) and not truncated, truncated, info

    def render(self):
        return self.env.render()

    def close(self):
        close = getattr(self.env, "close", None)
        if close:
            close()


def is_legacy_env(env: Any) -> bool:
    """True for objects that follow the old gym API rather than being a ``gymnasium.Env``."""
    return not isinstance(env, gym.Env) and hasattr(env, "step") and hasattr(env, "reset")


def make_env(env_id: str, seed: Optional[int] = None, **kwargs) -> gym.Env:
    """Builds ``env_id`` (kwargs go to the env's constructor) and checks its action space.

    ``seed`` seeds the env's first ``reset`` and its action space's sampler.
    """
    gym_id, max_steps = LEGACY_IDS.get(env_id, (env_id, None))
    if max_steps is not None:
        kwargs.setdefault("max_episode_steps", max_steps)
    try:
        env = gym.make(gym_id, **kwargs)
    except gym.error.Error as exc:
        raise UserError(f"cannot make environment {env_id!r}: {_first_line(exc)}") from None
    except TypeError as exc:
        raise UserError(f"bad arguments for environment {env_id!r}: {_first_line(exc)}") from None
    return prepare_env(env, seed, name=env_id)


def prepare_env(env: Any, seed: Optional[int] = None, name: str = "environment") -> gym.Env:
    """Adapts a legacy env if needed, checks it suits DDPG and seeds it."""
    if is_legacy_env(env):
        env = LegacyGymAPI(env)
    check_spaces(env, name)
    if seed is not None:
        env.reset(seed=int(seed))
        env.action_space.seed(int(seed))
    return env


def check_spaces(env: gym.Env, name: str) -> None:
    space = env.action_space
    if not isinstance(space, gym.spaces.Box):
        raise UserError(f"{name} has a {type(space).__name__} action space; DDPG needs a continuous Box")
    if len(space.shape) != 1:
        raise UserError(f"{name} has action shape {space.shape}; DDPG needs a 1-D Box")
    if not (np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))):
        raise UserError(f"{name} has an unbounded action space; DDPG needs finite bounds")
    obs = env.observation_space
    if not isinstance(obs, gym.spaces.Box) or len(obs.shape) != 1:
        raise UserError(f"{name} has observation space {obs}; this DDPG needs a 1-D Box")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
