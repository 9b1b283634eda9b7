"""Several training envs at once (``n_envs``, a Gymnasium vector env): exact episodes, the
update-to-data ratio, per-env noise, exact resume after SIGKILL (sync and async), bad input."""
import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

import toy_envs  # noqa: F401  (registers the toy envs)
from conftest import REPO, run_error, small_config
from test_resume import assert_same_run, history_without_wall_time, wait_for_rows
from ddpg_graph.callbacks import Callback
from ddpg_graph.errors import ConfigError, EnvError
from ddpg_graph.runner import Trainer


def toy(n_envs, **overrides):
    values = dict(env_id="toy_envs:ToyRandomLength-v0", n_envs=n_envs, total_steps=120,
                  batch_size=8, learning_starts=8, buffer_size=1000, eval_every_steps=0,
                  eval_episodes=0, checkpoint_every_steps=0, noise="gaussian", dtype="float32")
    values.update(overrides)
    return small_config(**values)


@pytest.mark.parametrize("n_envs", [1, 3])
def test_no_transition_crosses_a_reset_and_only_a_terminal_stops_bootstrapping(n_envs):
    """RandomLengthEnv's observations are [t, L]: every stored transition goes from t to
    t + 1 inside one episode, ``done`` is 1 exactly where an odd L ended it (terminated), and
    0 where an even L did (truncated: a time limit bootstraps). The history has one row per
    finished episode of any env, each with the length that episode drew."""
    with Trainer(toy(n_envs), progress=False) as trainer:
        history = trainer.run()
        store, size = trainer.buffer.storage, len(trainer.buffer)
        s, s2, done = store["s"][:size], store["s2"][:size], store["done"][:size, 0]
        assert size == trainer.step == 120
        np.testing.assert_array_equal(s2[:, 0], s[:, 0] + 1)  # never [L, L] -> [0, L']
        np.testing.assert_array_equal(s2[:, 1], s[:, 1])  # one episode's L on both sides
        ended = s2[:, 0] == s2[:, 1]
        terminal = ended & (s2[:, 1] % 2 == 1)
        np.testing.assert_array_equal(done, terminal.astype(np.float32))
        assert terminal.any() and (ended & ~terminal).any()  # both kinds of end were seen
        assert len(history) == ended.sum()
        assert all(2 <= length <= 6 for length in history.column("length"))
        assert history.column("episode") == list(range(len(history)))
        if n_envs == 1:
            assert "env" not in history.columns
        else:
            envs = history.column("env")
            assert set(envs) == {0, 1, 2}
            # each env's episodes, in order, add up to at most its 40 steps
            assert all(sum(r["length"] for r in history.rows if r["env"] == i) <= 40
                       for i in range(3))
            lengths = {i: [r["length"] for r in history.rows if r["env"] == i] for i in range(3)}
            assert len({tuple(v) for v in lengths.values()}) == 3  # seeded apart


def one_env_loop(config):
    """The one-env training loop as it was before vector envs, written out plainly (the
    oracle of the test below): reset, then act (and train) / add noise / step / store until
    the episode ends."""
    from ddpg_graph.agent import Agent
    from ddpg_graph.envs import make_env
    from ddpg_graph.noise import make_noise
    from ddpg_graph.replay import ReplayBuffer
    from ddpg_graph.seeds import Seeds
    seeds = Seeds(config.seed)
    env = make_env(config.env_id, seeds.env)
    low, high = env.action_space.low.astype(np.float64), env.action_space.high.astype(np.float64)
    agent = Agent(config, 2, low, high, seed=seeds.graph)
    buffer = ReplayBuffer(config.buffer_size, 2, 1, seeds.rng("replay"), np.float32)
    noise, warmup = make_noise(config, 1, seeds.rng("noise")), seeds.rng("warmup")
    rows, step = [], 0
    while step < config.total_steps:
        obs, _ = env.reset()
        noise.reset(len(rows))
        episode_return, length, ended = 0.0, 0, False
        while not ended and step < config.total_steps:
            if step < config.warmup_steps:
                mu, sample = warmup.uniform(low, high), 0.0
            elif len(buffer) >= config.learning_starts:
                mu, _ = agent.act_and_train(obs, buffer.sample(config.batch_size))
                noise.on_update()
                sample = noise.sample()
            else:
                mu, sample = agent.act(obs), noise.sample()
            action = np.clip(mu + sample, low, high)
            obs2, reward, terminated, truncated, _ = env.step(action)
            episode_return += reward
            buffer.add(obs, action, reward, float(terminated), obs2)
            obs, step, length, ended = obs2, step + 1, length + 1, terminated or truncated
        if ended:
            rows.append(dict(episode=len(rows), step=step, length=length, **{"return": episode_return}))
    return rows, buffer, agent


def test_one_env_runs_exactly_as_the_one_env_loop_did():
    """n_envs=1 (a vector env of one) gives the one-env loop's run: the same rows, the same
    transitions, the same weights, bit for bit."""
    config = toy(1, warmup_steps=20, learning_starts=30, total_steps=90)
    rows, buffer, agent = one_env_loop(config)
    with Trainer(config, progress=False) as trainer:
        history = trainer.run()
        assert [{k: row[k] for k in rows[0]} for row in history.rows] == rows
        for key in buffer.storage:
            np.testing.assert_array_equal(trainer.buffer.storage[key], buffer.storage[key])
        weights, expected = trainer.agent.get_weights(), agent.get_weights()
        for name in expected:
            np.testing.assert_array_equal(weights[name], expected[name], err_msg=name)
    agent.close()


class Updates(Callback):
    def __init__(self):
        self.updates, self.steps = [], []

    def on_step(self, trainer):
        self.steps.append(trainer.step)

    def on_update(self, trainer, stats):
        self.updates.append(stats["updates"])


def test_a_vector_step_acts_for_all_envs_and_updates_once_per_env_step():
    """One session.run per vector step acts for the N envs and runs ``updates_per_round``
    updates: n_envs by default (one env's ratio), ``gradient_steps`` when it is set."""
    counter = Updates()
    with Trainer(toy(3, total_steps=60, learning_starts=30), progress=False,
                 callbacks=[counter]) as trainer:
        trainer.run()
        assert trainer.config.updates_per_round == 3
        # per-env noise: independent processes, one generator each
        samples = [noise.sample() for noise in trainer.noises]
        assert len({float(x[0]) for x in samples}) == 3
    assert counter.steps == list(range(3, 61, 3))
    assert counter.updates == [3] * 10  # from the vector step at which 30 are stored
    counter = Updates()
    with Trainer(toy(3, total_steps=60, learning_starts=30, gradient_steps=1), progress=False,
                 callbacks=[counter]) as trainer:
        trainer.run()
    assert counter.updates == [1] * 10


def test_async_runs_exactly_as_sync():
    """The same seeds give the same run, whether the envs step in this process or in one
    process each."""
    histories = []
    for mode in ("sync", "async"):
        with Trainer(toy(3, vector_mode=mode, total_steps=60), progress=False) as trainer:
            history = trainer.run()
            histories.append([{k: v for k, v in row.items() if k != "wall_time"}
                              for row in history.rows])
            buffer = trainer.buffer.storage["s2"][:len(trainer.buffer)].copy()
            if mode == "sync":
                sync_buffer = buffer
    assert histories[0] == histories[1] and len(histories[0]) > 10
    np.testing.assert_array_equal(buffer, sync_buffer)


# episodes of 2 to 6 steps, drawn apart per env: a checkpoint finds the others mid-episode
VECTOR_RUN = ["--preset", "emami", "--env", "toy_envs:ToyRandomLength-v0", "--total-steps", "2400",
              "--no-progress", "--set", "n_envs=3", "--set", "actor_hidden=16,16",
              "--set", "critic_hidden=16,16", "--set", "buffer_size=5000",
              "--set", "checkpoint_every_steps=900", "--set", "eval_every_steps=900",
              "--set", "eval_episodes=1"]
TESTS = os.path.dirname(os.path.abspath(__file__))


def vector_training(*args, wait=True):
    """``python -m ddpg_graph train ARGS`` with the toy envs importable."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen([sys.executable, "-m", "ddpg_graph", "train", *args], cwd=REPO,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if wait:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
    return process


@pytest.fixture(scope="module")
def vector_reference_run(tmp_path_factory):
    run_dir = str(tmp_path_factory.mktemp("vector") / "run")
    vector_training("--logdir", run_dir, *VECTOR_RUN)
    return run_dir


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_sigkill_then_resume_equals_uninterrupted_run_with_three_envs(mode, vector_reference_run,
                                                                      tmp_path):
    """Killed mid-run, resumed from its last checkpoint (taken with two of the three envs
    mid-episode): every sub-env, noise process and episode under way comes back, and the run
    ends exactly as the straight sync run, whichever mode it resumes in."""
    run_dir = str(tmp_path / "killed")
    process = vector_training("--logdir", run_dir, *VECTOR_RUN, "--set", f"vector_mode={mode}",
                              wait=False)
    wait_for_rows(run_dir, 300, process)  # (~step 1200) past the checkpoint near step 900
    process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate()  # (the workers' too: they inherited it)
    assert "Traceback" not in stderr, stderr  # async workers leave quietly, no BrokenPipeError
    total = len(history_without_wall_time(vector_reference_run))
    with open(os.path.join(run_dir, "history.csv")) as f:
        assert 300 <= sum(1 for _ in f) - 1 < total
    # (the async run resumes in the other mode: a mode may change on resume)
    vector_training("--resume", run_dir, "--no-progress", "--vector-mode",
                    "sync" if mode == "async" else "async")
    assert_same_run(vector_reference_run, run_dir)
    assert {row["env"] for row in history_without_wall_time(run_dir)} == {"0", "1", "2"}


@pytest.mark.parametrize("setting, message", [
    ({"n_envs": 0}, "n_envs must be at least 1, got 0"),
    ({"n_envs": 100_000}, "n_envs must be at most 256, got 100,000"),
    ({"n_envs": 200, "total_steps": 150},
     "n_envs (200) must not exceed total_steps (150): one vector step is n_envs env steps"),
    ({"vector_mode": "threads"}, "vector_mode must be one of ('sync', 'async'), got 'threads'"),
])
def test_bad_vector_settings_are_one_line(setting, message):
    with pytest.raises(ConfigError) as caught:
        toy(**dict({"n_envs": 2}, **setting))
    assert str(caught.value) == message


class LockedEnv(toy_envs.CountingEnv):
    """An env holding what no pickle takes (a lock), so it cannot go to another process."""

    def __init__(self):
        super().__init__(terminate_at=5)
        self.lock = threading.Lock()

    def __deepcopy__(self, memo):
        return LockedEnv()


def test_an_env_object_that_does_not_pickle_is_refused_for_async_with_the_fix():
    with pytest.raises(EnvError) as caught:
        Trainer(toy(2, env_id="object:LockedEnv", vector_mode="async"), progress=False,
                env=LockedEnv())
    text = str(caught.value)
    assert "\n" not in text and "cannot be pickled" in text
    assert text.endswith("register it and give its id (package.module:ID), or use vector_mode=sync")


def test_a_dead_async_worker_stops_the_run_naming_the_intact_checkpoint(tmp_path, capfd):
    config = toy(2, env_id="toy_envs:ToyDying-v0", vector_mode="async", total_steps=200,
                 checkpoint_every_steps=10)
    message = run_error(Trainer(config, str(tmp_path / "run"), progress=False))
    intact = os.path.join(os.path.realpath(tmp_path / "run"), "checkpoints", "step-000000050")
    assert message == (
        f"a worker process of the async envs (toy_envs:ToyDying-v0) died in env.step() at "
        f"step 56 (EOFError); the last checkpoint ({intact}) is intact")
    assert "Traceback" not in capfd.readouterr().err


def test_an_async_env_that_raises_stops_with_the_env_error_as_one_line(capfd):
    """The env's own exception, raised in its worker process, is the same one line as in
    sync mode (Gymnasium's logging of the worker's traceback is held back)."""
    message = run_error(Trainer(toy(2, env_id="toy_envs:ToyLateExploding-v0",
                                    vector_mode="async"), progress=False))
    assert message == ("the env toy_envs:ToyLateExploding-v0 raised in env.step() at "
                                 "step 22: RuntimeError: the simulator exploded; the run was in "
                                 "memory")
    assert "Traceback" not in capfd.readouterr().err
