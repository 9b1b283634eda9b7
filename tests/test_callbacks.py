"""Callbacks: the loop's events as documented, and a stop that resumes exactly."""
import math
import os

import numpy as np
import pytest

from ddpg_graph.callbacks import Callback, StopAtStep
from ddpg_graph.config import Config
from ddpg_graph.history import History
from ddpg_graph.runner import Trainer


def config(**overrides):
    values = dict(total_steps=1200, actor_hidden=(32, 32), critic_hidden=(32, 32), buffer_size=5000,
                  checkpoint_every_steps=400, eval_every_steps=600, eval_episodes=1,
                  learning_starts=100)
    values.update(overrides)
    return Config.from_preset("emami", **values)


class Recorder(Callback):
    def __init__(self):
        self.steps, self.updates, self.rows, self.evaluations = [], [], [], []

    def on_step(self, trainer):
        self.steps.append(trainer.step)

    def on_update(self, trainer, stats):
        self.updates.append(dict(stats))

    def on_episode_end(self, trainer, row):
        self.rows.append(dict(row))

    def on_evaluation(self, trainer, value):
        self.evaluations.append(value)


def test_each_event_fires_as_documented():
    recorder = Recorder()
    with Trainer(config(total_steps=600), progress=False, callbacks=[recorder]) as trainer:
        history = trainer.run()
        assert trainer.stopped_by is None
    assert recorder.steps == list(range(1, 601))
    assert len(recorder.updates) == 600 - 100  # one per step from learning_starts on
    first = recorder.updates[0]
    assert set(first) >= {"actor_loss", "td_loss", "q_mean", "q_max", "updates", "seconds"}
    assert first["updates"] == 1 and 0 < first["seconds"] < 5
    assert recorder.rows == history.rows and len(history) == 3
    assert recorder.evaluations == [history.rows[-1]["eval_return"]]
    # the episode's td_loss column is the mean of its updates' (the last 200 steps' updates)
    assert history.rows[-1]["td_loss"] == pytest.approx(
        sum(float(u["td_loss"]) for u in recorder.updates[-200:]) / 200, rel=1e-9)


def test_an_object_without_callback_methods_is_refused():
    from ddpg_graph.errors import ConfigError
    with pytest.raises(ConfigError, match="has none of the callback methods"):
        Trainer(config(), progress=False, callbacks=[object()])


def test_one_callback_instead_of_a_list_is_one_clear_sentence():
    from ddpg_graph.errors import ConfigError
    with pytest.raises(ConfigError, match=r"callbacks takes a list of callbacks; got one "
                                          r"StopAtStep: pass \[StopAtStep\(...\)\]"):
        Trainer(config(), progress=False, callbacks=StopAtStep(10))


def history_rows(run_dir):
    return [{k: v for k, v in row.items() if k != "wall_time"}
            for row in History.load(os.path.join(run_dir, "history.csv")).rows]


def test_a_callback_stop_leaves_a_checkpoint_and_a_history_that_resume_exactly(tmp_path):
    straight = str(tmp_path / "straight")
    with Trainer(config(), straight, progress=False) as trainer:
        trainer.run()
        expected = trainer.agent.get_weights()

    stopped = str(tmp_path / "stopped")
    with Trainer(config(), stopped, progress=False, callbacks=[StopAtStep(700)]) as trainer:
        history = trainer.run()
        assert trainer.stopped_by == "StopAtStep.on_step" and trainer.step == 700
    assert len(history) == 3  # the episodes that ended; step 700 is mid-episode
    assert os.path.realpath(os.path.join(stopped, "checkpoints", "latest")).endswith("step-000000700")
    assert history_rows(stopped) == history_rows(straight)[:3]

    with Trainer(config(), stopped, progress=False, resume=True) as trainer:
        trainer.run()
        resumed = trainer.agent.get_weights()
    rows_a, rows_b = history_rows(straight), history_rows(stopped)
    assert len(rows_a) == 6
    for a, b in zip(rows_a, rows_b):
        assert a.keys() == b.keys()
        for key in a:
            assert a[key] == b[key] or (math.isnan(a[key]) and math.isnan(b[key])), key
    for name in expected:
        np.testing.assert_array_equal(expected[name], resumed[name], err_msg=name)
