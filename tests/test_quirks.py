"""The tutorials' quirk options and episode budgets, each checked on a toy env."""
import numpy as np
import pytest

import toy_envs  # noqa: F401
from conftest import feed_dict, make_agent, random_batch, small_config
from ddpg_graph.runner import Trainer


def trained(tmp_path, **overrides):
    values = dict(env_id="ToyTerminating-v0", total_steps=40, batch_size=8, learning_starts=8,
                  buffer_size=200, eval_every_steps=0, checkpoint_every_steps=0, noise="gaussian",
                  noise_sigma=0.1, dtype="float32")
    values.update(overrides)
    trainer = Trainer(small_config(**values), str(tmp_path / "run"), progress=False)
    trainer.run()
    trainer.close()
    return trainer


def test_ignore_done_stores_no_terminals(tmp_path):
    trainer = trained(tmp_path, ignore_done=True)
    assert trainer.buffer.storage["done"][:40].sum() == 0


def test_terminal_reward_rewrites_the_last_reward(tmp_path):
    trainer = trained(tmp_path, terminal_reward=100.0)
    rewards = trainer.buffer.storage["r"][:40, 0]
    last_steps = np.arange(4, 40, 5)
    np.testing.assert_array_equal(rewards[last_steps], -100.0)  # the toy's returns are < 0
    assert np.all(rewards[np.setdiff1d(np.arange(40), last_steps)] > -1.01)


def test_prefill_is_stored_but_not_in_the_history(tmp_path):
    trainer = trained(tmp_path, prefill_steps=23, total_steps=20)
    assert len(trainer.buffer) == 43 and trainer.step == 20
    assert trainer.history.column("step") == [5, 10, 15, 20]


def test_total_episodes_stops_the_run(tmp_path):
    trainer = trained(tmp_path, total_steps=1000, total_episodes=3)
    assert trainer.step == 15 and len(trainer.history) == 3


def test_noise_decays_per_update_when_asked(tmp_path):
    trainer = trained(tmp_path, noise_sigma=3.0, noise_decay=0.9, noise_decay_on="update")
    updates = 40 - 8  # one per step once the buffer holds a batch
    assert trainer.noises[0].sigma == pytest.approx(3.0 * 0.9 ** updates)


def test_bootstrap_on_terminal_quirk(rng):
    agent = make_agent(gamma=0.9, bootstrap_on_terminal=True)
    batch = random_batch(rng)
    batch["done"][:] = 0.0
    np.testing.assert_allclose(agent.session.run(agent.net.update.y, feed_dict(agent, batch)), batch["r"])


def test_train_at_episode_end_updates_in_a_burst(tmp_path, monkeypatch):
    from ddpg_graph.agent import Agent
    calls = []
    real_train = Agent.train

    def counting_train(self, batch):
        calls.append(1)
        return real_train(self, batch)

    monkeypatch.setattr(Agent, "train", counting_train)
    trainer = trained(tmp_path, train_at_episode_end=True, noise_sigma=1.0, noise_decay=0.5,
                      noise_decay_on="update")
    # 8 episodes of 5 steps; the buffer holds a batch (8) from the end of episode 2 on
    assert len(calls) == 5 * 7
    assert trainer.noises[0].sigma == pytest.approx(0.5 ** 35)
    assert np.isnan(trainer.history.rows[0]["td_loss"])
    assert not np.isnan(trainer.history.rows[1]["td_loss"])
