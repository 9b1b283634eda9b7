import dataclasses
import pickle

import numpy as np
import pytest

import toy_envs
from ddpg_graph import envs
from ddpg_graph.envs import make_env
from ddpg_graph.errors import UserError


def test_pendulum_v0_is_pendulum_v1_with_200_steps():
    env = make_env("Pendulum-v0", seed=0)
    assert env.spec.id == "Pendulum-v1" and env.spec.max_episode_steps == 200
    np.testing.assert_array_equal(env.action_space.low, [-2.0])
    steps, terminated, truncated = 0, False, False
    while not (terminated or truncated):
        _, _, terminated, truncated, _ = env.step(np.zeros(1))
        steps += 1
    assert steps == 200 and truncated and not terminated


def test_env_kwargs_pass_through():
    assert make_env("Pendulum-v0", seed=0, env_kwargs={"g": 9.81}).unwrapped.g == 9.81


def test_seed_makes_first_reset_reproducible():
    a, b = make_env("Pendulum-v0", seed=3), make_env("Pendulum-v0", seed=3)
    assert np.array_equal(a.step(np.ones(1))[0], b.step(np.ones(1))[0])
    assert np.array_equal(a.reset()[0], b.reset()[0])


@pytest.mark.parametrize("env_id, message", [
    ("NoSuchEnv-v0", "cannot make environment"),
    ("CartPole-v1", "Discrete action space"),
])
def test_bad_envs_are_refused(env_id, message):
    with pytest.raises(UserError, match=message):
        make_env(env_id)


def test_bad_env_kwargs_are_refused():
    with pytest.raises(UserError, match="bad arguments"):
        make_env("Pendulum-v0", env_kwargs={"no_such_argument": 1})


def test_legacy_api_is_adapted():
    env = make_env(toy_envs.OldAPIEnv(limit=3), seed=11)
    assert env.gym_env.seeded == 11
    obs, info = env.reset()
    assert obs.shape == (2,) and info == {}
    results = [env.step(np.zeros(1)) for _ in range(3)]
    assert [r[2:4] for r in results] == [(False, False), (False, False), (False, True)]
    env = make_env(toy_envs.OldAPIEnv(limit=9, terminal_at=2))
    env.reset()
    env.step(np.zeros(1))
    assert env.step(np.zeros(1))[2:4] == (True, False)


def test_ezpickle_envs_pickle_with_their_state():
    """Gymnasium's MuJoCo envs pickle as their constructor arguments; ours keep the state."""
    env = toy_envs.EzCountingEnv()
    env.reset(seed=3)
    for _ in range(4):
        env.step(np.array([0.5], np.float32))
    assert pickle.loads(pickle.dumps(env)).t == 0  # what a plain pickle keeps
    loaded = envs.loads(envs.dumps(env))
    assert loaded.t == 4
    assert loaded.np_random.random() == env.np_random.random()


def test_an_env_that_does_not_pickle_resumes_at_an_episode_start(tmp_path, capsys):
    from test_runner import tiny
    from ddpg_graph.runner import Trainer
    config = tiny("object:UnpicklableEzEnv", total_steps=13, checkpoint_every_steps=13,
                  eval_episodes=0)
    with Trainer(config, str(tmp_path / "run"), progress=False,
                 env=toy_envs.UnpicklableEzEnv(terminate_at=5)) as trainer:
        trainer.run()  # stops mid-episode: step 13 of episodes of 5
    assert "does not pickle" in capsys.readouterr().err
    with Trainer(dataclasses.replace(config, total_steps=20), str(tmp_path / "run"), resume=True, progress=False,
                 env=toy_envs.UnpicklableEzEnv(terminate_at=5)) as trainer:
        assert trainer.obs is None and trainer.step == 13
        history = trainer.run()
    assert "starts a new episode" in capsys.readouterr().err
    assert history.column("length") == [5, 5, 5]  # (a new episode from step 13)
