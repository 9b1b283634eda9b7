"""Environments written for the old gym package, for the env-route tests.

Importing this module registers ``OldPointMass-v0`` with Gymnasium through shimmy, the way a
user's own module would (``--env legacy_envs:OldPointMass-v0``).
"""
import contextlib
import io

import gymnasium
import numpy as np

with contextlib.redirect_stderr(io.StringIO()):  # gym 0.26 prints a banner on import
    import gym as old_gym


class OldPointMass:
    """A pre-0.26 env with the old package's spaces: a point mass pushed towards 0.

    ``reset() -> obs``, ``step(a) -> (obs, reward, done, info)``, ``seed(n)``; its 50-step time
    limit is reported the old way, as ``done`` with ``info["TimeLimit.truncated"]``.
    """

    action_space = old_gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    observation_space = old_gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)
    limit = 50

    def __init__(self):
        self.np_random = np.random.RandomState(0)
        self.state, self.t = np.zeros(2), 0

    def seed(self, seed=None):
        self.np_random = np.random.RandomState(seed)
        return [seed]

    def reset(self):
        self.state, self.t = self.np_random.uniform(-1, 1, 2), 0
        return self.state.astype(np.float32)

    def step(self, action):
        x, v = self.state
        v = 0.9 * v + 0.1 * float(np.clip(action[0], -1, 1)) + 0.01 * self.np_random.randn()
        self.state, self.t = np.array([x + 0.1 * v, v]), self.t + 1
        reward = -(x * x + 0.1 * v * v)
        done = self.t >= self.limit
        return self.state.astype(np.float32), reward, done, ({"TimeLimit.truncated": True} if done else {})


class DiscreteOldEnv(OldPointMass):
    action_space = old_gym.spaces.Discrete(3)


class ThreeValueStep(OldPointMass):
    def step(self, action):
        return super().step(action)[:3]


def converted(cls):
    """An entry point making ``cls()`` through shimmy's pre-0.26 converter."""
    def make():
        from shimmy.openai_gym_compatibility import GymV21CompatibilityV0
        return GymV21CompatibilityV0(env=cls())
    return make


for env_id, cls in (("OldPointMass-v0", OldPointMass), ("OldDiscrete-v0", DiscreteOldEnv),
                    ("OldThreeValues-v0", ThreeValueStep)):
    if env_id not in gymnasium.registry:
        gymnasium.register(env_id, entry_point=converted(cls))


class OldMass(OldPointMass, old_gym.Env):
    """OldPointMass as a 2019 project wrote it, a ``gym.Env`` with the pre-0.26 API and no
    time limit of its own: the old registry's ``max_episode_steps`` is its only one."""
    limit = float("inf")


# the old gym package's own registry, as every 2019 project registered its envs
if "OldMass-v0" not in old_gym.envs.registry:
    old_gym.envs.registration.register(id="OldMass-v0", entry_point=OldMass, max_episode_steps=40)

# an old gym.Env class registered with Gymnasium's registry: refused with one line
if "OldMassInGymnasium-v0" not in gymnasium.registry:
    gymnasium.register("OldMassInGymnasium-v0", entry_point=OldMass, max_episode_steps=40)
