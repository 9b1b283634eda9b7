"""Tiny environments for tests: known episode ends, and one written for the old gym API."""
import os
import signal
import sys
import threading

import gymnasium as gym
import numpy as np


class CountingEnv(gym.Env):
    """Observation [t, a]; reward = -|a|; ``terminated`` after ``terminate_at`` steps if given."""

    def __init__(self, terminate_at=None):
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)
        self.terminate_at = terminate_at
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(2, np.float32), {}

    def step(self, action):
        self.t += 1
        obs = np.array([self.t, float(action[0])], np.float32)
        terminated = self.terminate_at is not None and self.t >= self.terminate_at
        return obs, -abs(float(action[0])), terminated, False, {}


class EzCountingEnv(CountingEnv, gym.utils.EzPickle):
    """CountingEnv as Gymnasium's MuJoCo and Box2D envs pickle: as its constructor arguments
    (``EzPickle``), so a plain pickle loses the step counter and the generator."""

    def __init__(self, terminate_at=None):
        CountingEnv.__init__(self, terminate_at)
        gym.utils.EzPickle.__init__(self, terminate_at)


class UnpicklableEzEnv(EzCountingEnv):
    """An EzPickle env holding what no pickle takes, as Box2D's worlds are."""

    def __init__(self, terminate_at=None):
        super().__init__(terminate_at)
        self.world = threading.Lock()


class RenderingEnv(CountingEnv):
    """CountingEnv with 8x8 ``rgb_array`` frames showing the step count. Its renderer crashes
    the process (SIGSEGV) where TensorFlow is loaded, as Mesa's llvmpipe does for MuJoCo, or
    always (``crash_always``)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, terminate_at=6, crash_always=False):
        super().__init__(terminate_at)
        self.render_mode, self.crash_always = "rgb_array", crash_always

    def render(self):
        if self.crash_always or "tensorflow" in sys.modules:
            os.kill(os.getpid(), signal.SIGSEGV)
        return np.full((8, 8, 3), 40 * self.t, np.uint8)


class LateExplodingEnv(CountingEnv):
    """CountingEnv of 5-step episodes whose ``explode_at``-th call of ``step`` raises (the
    probe step when it is made counts: 13 is the run's step 11)."""

    def __init__(self, explode_at=13):
        super().__init__(terminate_at=5)
        self.explode_at, self.calls = explode_at, 0

    def step(self, action):
        self.calls += 1
        if self.calls == self.explode_at:
            raise RuntimeError("the simulator exploded")
        return super().step(action)


class ExplodingEnv(CountingEnv):
    """CountingEnv whose own code raises at step ``at`` of its second episode."""

    def __init__(self, at=3):
        super().__init__(terminate_at=5)
        self.at, self.episodes = at, 0

    def reset(self, *, seed=None, options=None):
        self.episodes += 1
        return super().reset(seed=seed, options=options)

    def step(self, action):
        if self.episodes > 2 and self.t + 1 == self.at:
            raise RuntimeError("the simulator exploded")
        return super().step(action)


class OldAPIEnv:
    """A pre-0.26 gym env: ``reset() -> obs``, ``step -> (obs, r, done, info)``; its time limit
    at step 3 is reported the old way, as done with ``TimeLimit.truncated``."""

    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    observation_space = gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)

    def __init__(self, limit=3, terminal_at=None):
        self.limit, self.terminal_at, self.t, self.seeded = limit, terminal_at, 0, None

    def seed(self, seed):
        self.seeded = seed

    def reset(self):
        self.t = 0
        return np.zeros(2, np.float32)

    def step(self, action):
        self.t += 1
        if self.terminal_at is not None and self.t >= self.terminal_at:
            return np.ones(2, np.float32), 1.0, True, {}
        done = self.t >= self.limit
        return np.ones(2, np.float32), 1.0, done, ({"TimeLimit.truncated": True} if done else {})


class RandomLengthEnv(gym.Env):
    """Observation [t, L]: episodes of a length L in 2..6 drawn from its generator at each
    reset; an odd L ends in a true terminal (``terminated``), an even one in a time limit
    (``truncated``). Seeded apart, copies of it end their episodes at different steps."""

    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    observation_space = gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t, self.length = 0, int(self.np_random.integers(2, 7))
        return np.array([0, self.length], np.float32), {}

    def step(self, action):
        self.t += 1
        end = self.t >= self.length
        obs = np.array([self.t, self.length], np.float32)
        return obs, float(self.t), end and self.length % 2 == 1, end and self.length % 2 == 0, {}


class DyingEnv(CountingEnv):
    """CountingEnv whose process exits at its ``die_at``-th ``step`` call (the probe step
    counts), as a simulator that crashes would: for an async worker only."""

    def __init__(self, die_at=30):
        super().__init__(terminate_at=5)
        self.die_at, self.calls = die_at, 0

    def step(self, action):
        self.calls += 1
        if self.calls == self.die_at:
            os._exit(3)
        return super().step(action)


class OffsetEnv(CountingEnv):
    """CountingEnv of 5-step episodes whose every reward is shifted by ``offset``: a
    hyperparameter (``env_kwargs``) that decides the returns, for searches with a hopeless
    region."""

    def __init__(self, offset=0.0):
        super().__init__(terminate_at=5)
        self.offset = offset

    def step(self, action):
        obs, reward, terminated, truncated, info = super().step(action)
        return obs, reward + self.offset, terminated, truncated, info


def register():
    if "ToyTerminating-v0" not in gym.registry:
        gym.register("ToyTerminating-v0", entry_point=lambda: CountingEnv(terminate_at=5))
        gym.register("ToyTruncating-v0", entry_point=CountingEnv, max_episode_steps=5)
        gym.register("ToyExploding-v0", entry_point=ExplodingEnv)
        gym.register("ToyLateExploding-v0", entry_point=LateExplodingEnv)
        gym.register("ToyRandomLength-v0", entry_point=RandomLengthEnv)
        gym.register("ToyDying-v0", entry_point=DyingEnv)
        gym.register("ToyOffset-v0", entry_point=OffsetEnv)


register()
