import glob
import os

import numpy as np
import pytest

import toy_envs  # noqa: F401  (registers the toy envs)
from conftest import small_config
from ddpg_graph.history import History
from ddpg_graph.runner import Trainer


def tiny(env_id, **overrides):
    values = dict(env_id=env_id, total_steps=40, batch_size=8, learning_starts=8, buffer_size=100,
                  eval_every_steps=10, eval_episodes=1, checkpoint_every_steps=10, noise="gaussian",
                  noise_sigma=0.1, dtype="float32")
    values.update(overrides)
    return small_config(**values)


def train(tmp_path, config, name="run"):
    trainer = Trainer(config, str(tmp_path / name), progress=False)
    history = trainer.run()
    return trainer, history


@pytest.mark.parametrize("env_id, expected_done", [
    ("ToyTerminating-v0", [0, 0, 0, 0, 1]),  # a true terminal stops bootstrapping
    ("ToyTruncating-v0", [0, 0, 0, 0, 0]),   # a time limit does not
])
def test_only_terminated_sets_done(tmp_path, env_id, expected_done):
    trainer, history = train(tmp_path, tiny(env_id))
    done = trainer.buffer.storage["done"][:40, 0]
    steps = trainer.buffer.storage["s2"][:40, 0]  # the toy env's step counter
    np.testing.assert_array_equal(steps, np.tile([1, 2, 3, 4, 5], 8))
    np.testing.assert_array_equal(done, np.tile(expected_done, 8))
    assert len(history) == 8 and history.column("length") == [5] * 8
    trainer.close()


def test_run_writes_history_tensorboard_and_checkpoints(tmp_path, capsys):
    import tensorflow as tf
    trainer, history = train(tmp_path, tiny("ToyTerminating-v0", reward_scale=0.1))
    trainer.close()
    run = tmp_path / "run"
    loaded = History.load(str(run / "history.csv"))
    assert loaded.column("return") == pytest.approx(history.column("return"))
    assert loaded.column("step") == [5, 10, 15, 20, 25, 30, 35, 40]
    assert np.isnan(loaded.rows[0]["td_loss"]) and not np.isnan(loaded.rows[-1]["td_loss"])
    evals = loaded.column("eval_return")
    assert np.isnan(evals[0]) and not np.isnan(evals[1])
    # rewards reach the buffer scaled, the history unscaled
    assert trainer.buffer.storage["r"][:5, 0] == pytest.approx(
        0.1 * -np.abs(trainer.buffer.storage["a"][:5, 0]), rel=1e-5)
    tags = set()
    for path in glob.glob(str(run / "tb" / "events.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            tags.update(v.tag for v in event.summary.value)
    assert {"Reward", "Qmax", "Loss/td", "Loss/actor", "Q/mean", "Eval/Reward", "Eval/Q_s0",
            "Eval/DiscountedReturn"} <= tags
    for name in ("latest", "best"):
        assert os.path.exists(run / "checkpoints" / name / "model.ckpt.index")

    from ddpg_graph.cli import main
    assert main(["evaluate", "--checkpoint", str(run), "--episodes", "2", "--json"]) == 0
    assert '"episodes": 2' in capsys.readouterr().out


def test_refuses_to_reuse_a_run_directory(tmp_path):
    """In library words from the Trainer; the CLI adds its flag hints (test_cli)."""
    from ddpg_graph.errors import RunDirNotEmpty
    trainer, _ = train(tmp_path, tiny("ToyTerminating-v0", total_steps=10))
    trainer.close()
    with pytest.raises(RunDirNotEmpty, match="is not empty$"):
        Trainer(tiny("ToyTerminating-v0"), str(tmp_path / "run"), progress=False)


def test_train_every_and_gradient_steps_schedule(tmp_path, monkeypatch):
    from ddpg_graph.agent import Agent
    shapes = []
    real = Agent.act_and_train

    def recording(self, obs, batch):
        shapes.append(batch["s"].shape)
        return real(self, obs, batch)

    monkeypatch.setattr(Agent, "act_and_train", recording)
    config = small_config(env_id="ToyTerminating-v0", total_steps=40, batch_size=8,
                          learning_starts=8, buffer_size=200, eval_every_steps=0, checkpoint_every_steps=0,
                          train_every=2, gradient_steps=3, noise="gaussian", noise_sigma=1.0,
                          noise_decay=0.5, noise_decay_on="update", dtype="float32")
    trainer = Trainer(config, str(tmp_path / "run"), progress=False)
    trainer.run()
    trainer.close()
    # rounds at steps 8, 10, ..., 38 (the buffer holds a batch from step 8 on), 3 updates each
    assert shapes == [(3, 8, 2)] * 16
    assert trainer.noises[0].sigma == pytest.approx(0.5 ** 48)


def test_evaluation_and_checkpoint_cadence_counts_steps_not_episodes(tmp_path, monkeypatch):
    """5-step episodes, 200 steps, both every 50 steps: 4 evaluations and 4 cadence
    checkpoints (at steps 50, 100, 150, 200), not one per few episodes."""
    saved = []
    original = Trainer.save_checkpoint
    monkeypatch.setattr(Trainer, "save_checkpoint",
                        lambda self, links=("latest",): saved.append((self.step, links)) or
                        original(self, links))
    config = tiny("ToyTerminating-v0", total_steps=200, eval_every_steps=50,
                  checkpoint_every_steps=50)
    trainer, history = train(tmp_path, config)
    trainer.close()
    evaluated = [row["step"] for row in history.rows if not np.isnan(row["eval_return"])]
    assert len(history) == 40 and evaluated == [50, 100, 150, 200]
    assert {step for step, links in saved} == {50, 100, 150, 200}  # (200: also the final one)


def test_evaluation_pairs_q_s0_with_the_discounted_return():
    """Each evaluation episode: its return, its discounted return from the first state in
    the critic's units (sum gamma^t reward_scale r_t, to the terminal), and the critic's
    Q(s0, mu(s0)) at that state."""
    import gymnasium as gym
    from ddpg_graph.evaluation import run_episodes
    config = tiny("ToyTerminating-v0", gamma=0.5, reward_scale=0.1)
    with Trainer(config, progress=False) as trainer:
        agent = trainer.agent
        env = gym.make("ToyTerminating-v0")
        episode, = run_episodes(agent, env, 1)
        obs, _ = env.reset()
        rewards = []
        action, q_s0 = agent.act_with_q(obs)
        for _ in range(5):  # the toy env ends at step 5
            obs, reward, terminated, _, _ = env.step(action)
            rewards.append(reward)
            action = agent.act(obs)
        assert terminated
    assert episode.ret == pytest.approx(sum(rewards), rel=1e-12)
    assert episode.discounted_return == pytest.approx(
        sum(0.1 * 0.5 ** t * r for t, r in enumerate(rewards)), rel=1e-12)
    assert episode.q_s0 == q_s0
