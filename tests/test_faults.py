"""Faults a hostile user finds: bad input on the command line, a second process, a full disk
at each kind of write, a checkpoint pruned under a reader, leftovers of a kill,
mismatched and damaged run data, and resumed state that a test must notice if it is lost."""
import errno
import json
import os
import shutil
import signal
import subprocess

import numpy as np
import pytest

import toy_envs  # noqa: F401  (registers the toy envs)
from conftest import cli_here, run_error, run_module
from test_resume import RUN_OPTIONS, assert_same_run, start_training, wait_for_rows

import ddpg_graph as dg

EMAMI = ["train", "--preset", "emami", "--total-steps", "400"]
BAD_INPUTS = [
    (EMAMI + ["--seed", "-1"], "seed must be non-negative"),
    (EMAMI + ["--device", "cpu:abc"], "device must be"),
    (EMAMI + ["--set", 'env_kwargs={"g": "x"}'], "failed on its first reset or step"),
    (EMAMI + ["--set", 'env_kwargs={"max_episode_steps": 0}'], "max_episode_steps must be a positive"),
    (EMAMI + ["--set", 'env_kwargs={"max_episode_steps": -1}'], "max_episode_steps must be a positive"),
    (EMAMI + ["--set", 'env_kwargs={"render_mode": "human"}'], "leave render_mode out"),
    (EMAMI + ["--set", "buffer_size=1e13"], "buffer_size must be at most"),
    (EMAMI + ["--set", "actor_lr=inf"], "actor_lr must be a finite number"),
    (EMAMI + ["--set", "noise_sigma=inf"], "noise_sigma must be a finite number"),
    (EMAMI + ["--set", "noise_theta=inf"], "noise_theta must be a finite number"),
    (EMAMI + ["--set", "final_init=inf"], "final_init must be a finite number"),
    (EMAMI + ["--set", "critic_l2=inf"], "critic_l2 must be a finite number"),
    (EMAMI + ["--set", "noise_mu=nan"], "noise_mu must be a finite number"),
    (EMAMI + ["--set", "reward_scale=nan"], "reward_scale must be a finite number"),
    (EMAMI + ["--set", "preset=bogus"], "unknown preset 'bogus'"),
    (EMAMI + ["--set", "actor_lrr=0.1"], "did you mean 'actor_lr'?"),
    (EMAMI + ["--set", "checkpoint_every=2"], "did you mean 'checkpoint_every_steps'?"),
    (EMAMI + ["--logdir", "FILE/run"], "cannot use run directory"),
    (["train", "--resume", "FILE"], "is a file, not a run directory"),
    (["compare", "RUN", "--reference", "emami", "--plot", "FILE/curve.png"], "is not a directory"),
    (["compare", "GARBAGE", "--reference", "emami"], "line 2 is not a row of numbers"),
    (["compare", "BINARY", "--reference", "emami"], "cannot read"),
    (["compare", "NORETURN", "--reference", "emami"], "has no return column"),
    (["compare", "RUN", "--reference", "EMPTY.csv"], "has no episodes"),
    (["compare", "NANHIST", "--reference", "emami"], "line 3: its return is nan, not a finite number"),
    (["compare", "RUN", "--reference", "NANREF.csv"], "p90 of episode 1 is inf, not a finite number"),
    (EMAMI + ["--set", "actor_model=keras_factories:keras3_actor"], "returned a Keras 3 model"),
    (EMAMI + ["--set", "actor_model=keras_factories:wide_actor"],
     "the actor model maps [N,3] to [None, 2]; it must give [N,1]"),
    (EMAMI + ["--set", "actor_model=keras_factories:five_input_actor"],
     "the actor model does not take [N,3]: Input 0 of layer"),
    (EMAMI + ["--set", "critic_model=keras_factories:three_output_critic", "--set",
              "critic_action_input=concat"], "the critic model maps [N,3] and [N,1] to [None, 3]"),
    (EMAMI + ["--set", "actor_model=keras_factories:failing_actor"],
     "the actor factory failed: RuntimeError: the factory's own bug"),
    (EMAMI + ["--set", "actor_hidden=100000,100000"], "GiB of memory is available"),
    (EMAMI + ["--set", "actor_hidden="], "need at least one layer width each"),
    (["evaluate", "--checkpoint", "FINISHED", "--video", "x.gif"], "--video writes MP4 files"),
    (["export", "--checkpoint", "FINISHED", "--out", "FULL", "--format", "graphdef"],
     "is not empty; an export needs a new or empty directory"),
    (["export", "--checkpoint", "FINISHED", "--out", "FILE", "--format", "graphdef"], "is a file"),
    (["export", "--checkpoint", "FINISHED", "--out", "FINISHED/checkpoints/latest/policy",
      "--format", "graphdef"], "which the run prunes"),
]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A short finished run: 4 Pendulum episodes, a checkpoint after each, evaluations."""
    run_dir = str(tmp_path_factory.mktemp("finished") / "run")
    result = run_module("train", "--logdir", run_dir, *RUN_OPTIONS[:2], "--total-steps", "800",
                        *RUN_OPTIONS[4:], timeout=300)
    assert result.returncode == 0, result.stderr
    return run_dir


def materialise(args, tmp_path, finished_run):
    """Puts the files the table's placeholders name in ``tmp_path``."""
    (tmp_path / "FILE").write_text("a file")
    for name, text in (("GARBAGE", "episode,step,return\n0,200,abc\n"), ("NORETURN", "a,b\n1,2\n")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "history.csv").write_text(text)
    (tmp_path / "BINARY").mkdir()
    (tmp_path / "BINARY" / "history.csv").write_bytes(b"\xff\xfe\x00garbage\x81")
    (tmp_path / "EMPTY.csv").write_text("episode,median,p10,p90,published\n")
    (tmp_path / "RUN").mkdir()
    shutil.copy(os.path.join(finished_run, "history.csv"), tmp_path / "RUN" / "history.csv")
    (tmp_path / "NANHIST").mkdir()
    (tmp_path / "NANHIST" / "history.csv").write_text("episode,step,return\n0,200,-5\n1,400,nan\n")
    (tmp_path / "NANREF.csv").write_text("episode,median,p10,p90,published\n0,1,0,2,\n1,1,0,inf,\n")
    (tmp_path / "FULL").mkdir()
    (tmp_path / "FULL" / "policy.pb").write_text("the user's own file")
    placed = {"FINISHED": finished_run}
    placed.update((name, str(tmp_path / name)) for name in (
        "FILE", "GARBAGE", "BINARY", "NORETURN", "RUN", "EMPTY.csv", "NANHIST", "NANREF.csv", "FULL"))
    return [placed[a.split("/")[0]] + a[len(a.split("/")[0]):] if a.split("/")[0] in placed else a
            for a in args]


@pytest.mark.parametrize("args, message", BAD_INPUTS, ids=[" ".join(a[-2:]) for a, _ in BAD_INPUTS])
def test_bad_input_is_one_line_exit_2_and_leaves_nothing(args, message, tmp_path, finished_run,
                                                         monkeypatch, capsys):
    """Run in this process through the CLI's own entry point (``cli.main``, whose status
    ``python -m ddpg_graph`` exits with), so that the table costs no TensorFlow start-ups."""
    from ddpg_graph.cli import main
    args = materialise(args, tmp_path, finished_run)
    before = sorted(os.listdir(tmp_path))
    monkeypatch.chdir(tmp_path)
    status = main(args)
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 2, lines
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert sorted(os.listdir(tmp_path)) == before  # no run directory left behind
    assert (tmp_path / "FULL" / "policy.pb").read_text() == "the user's own file"
    assert "policy" not in os.listdir(os.path.join(finished_run, "checkpoints", "latest"))


def test_a_second_process_on_a_run_directory_is_refused(tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    process = start_training(run_dir, "--total-steps", "100000")
    wait_for_rows(run_dir, 1, process)
    for args in (["train", "--logdir", run_dir, *RUN_OPTIONS], ["train", "--resume", run_dir]):
        status, lines = cli_here(capsys, *args)  # (this process is the second one)
        assert status == 2 and lines == [f"error: run directory {run_dir} is in use by another "
                                         f"process"], lines
    process.send_signal(signal.SIGKILL)
    process.communicate()


# -- a full disk at each kind of write, in process --------------------------------------------
def tiny(**overrides):
    values = dict(env_id="ToyTerminating-v0", total_steps=60, batch_size=8, buffer_size=200,
                  learning_starts=8, actor_hidden=(8, 8), critic_hidden=(8, 8), eval_every_steps=10,
                  eval_episodes=1, checkpoint_every_steps=10)
    values.update(overrides)
    return dg.Config(**values)


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("target, what", [
    ("ddpg_graph.agent.Agent.save", "could not write checkpoint"),
    ("ddpg_graph.replay.ReplayBuffer.save", "could not write checkpoint"),
    ("ddpg_graph.checkpoint.dump_state", "could not write checkpoint"),
    ("ddpg_graph.history.History.append", "could not write history.csv"),
    ("ddpg_graph.summaries.SummaryWriter.scalars", "could not write the TensorBoard log"),
])
def test_a_full_disk_stops_with_one_line_naming_the_step_and_the_intact_checkpoint(
        target, what, tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    trainer = dg.Trainer(tiny(), str(run_dir), progress=False)
    original = dg.Trainer._end_episodes
    calls = []

    def end_episodes(self, ended):  # the disk fills up after the first checkpoints are written
        calls.append(1)
        if len(calls) == 5:
            monkeypatch.setattr(target, full_disk)
        return original(self, ended)

    monkeypatch.setattr(dg.Trainer, "_end_episodes", end_episodes)
    with pytest.raises(dg.RunError) as caught:
        trainer.run()
    trainer.close()
    message = str(caught.value)
    assert what in message and "No space left on device" in message and "at step" in message
    intact = os.path.realpath(run_dir / "checkpoints" / "latest")
    assert f"({intact}) is intact" in message or f"checkpoint {intact} is intact" in message
    assert not [e for e in os.listdir(run_dir / "checkpoints") if e.startswith(".tmp-")]
    monkeypatch.undo()
    # the run resumes from the intact checkpoint
    resumed = dg.Trainer(tiny(), str(run_dir), progress=False, resume=True)
    resumed.run()
    resumed.close()


@pytest.fixture
def read_only_run(finished_run, tmp_path):
    """A copy of ``finished_run`` on a tmpfs mounted read-only (root only; skipped elsewhere)."""
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount_point)],
                      capture_output=True).returncode != 0:
        pytest.skip("mounting a file system needs root")
    try:
        shutil.copytree(finished_run, mount_point / "run", symlinks=True)
        subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


@pytest.mark.parametrize("args, status, message", [
    (["train", "--logdir", "MNT/new", "--preset", "emami"], 2,
     "cannot use run directory MNT/new: Read-only file system"),
    (["train", "--resume", "MNT/run", "--total-steps", "1000"], 2,
     "cannot use run directory MNT/run: Read-only file system"),
    (["evaluate", "--checkpoint", "MNT/run", "--episodes", "1"], 0, None),
    (["evaluate", "--checkpoint", "MNT/run", "--video", "MNT/v.mp4"], 2,
     "cannot write MNT/v.mp4: read-only file system"),
    (["compare", "MNT/run", "--reference", "emami", "--plot", "MNT/c.png"], 2,
     "cannot write MNT/c.png: read-only file system"),
    (["export", "--checkpoint", "MNT/run", "--out", "MNT/sm"], 2,
     "cannot write the export to MNT/sm: Read-only file system"),
    (["export", "--checkpoint", "MNT/run", "--out", "MNT/pb", "--format", "graphdef"], 2,
     "cannot write the export to MNT/pb: Read-only file system"),
], ids=["new run", "resume", "evaluate", "video", "plot", "saved_model", "graphdef"])
def test_a_read_only_mount_is_one_line_and_reads_still_work(args, status, message,
                                                              read_only_run, capsys):
    from ddpg_graph.cli import main
    before = sorted(os.listdir(read_only_run / "run"))
    args = [a.replace("MNT", str(read_only_run)) for a in args]
    assert main(args) == status
    err = [line for line in capsys.readouterr().err.splitlines() if line]
    if message:
        assert err == ["error: " + message.replace("MNT", str(read_only_run))]
    assert sorted(os.listdir(read_only_run / "run")) == before


# -- damaged or mismatched run data ---------------------------------------------------------
def test_a_checkpoint_of_another_network_or_env_is_refused_before_restoring(finished_run, tmp_path,
                                                                            capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir, symlinks=True)
    latest = run_dir / "checkpoints" / "latest"
    config = json.loads((latest / "config.json").read_text())
    (latest / "config.json").write_text(json.dumps(dict(config, actor_hidden=[16, 16])))
    status, lines = cli_here(capsys, "evaluate", "--checkpoint", str(run_dir))
    assert status == 2 and len(lines) == 1, lines
    assert "holds main/pi/l0/w of shape [3, 32]; this run's is [3, 16]" in lines[0]
    (latest / "config.json").write_text(json.dumps(dict(config, env_id="MountainCarContinuous-v0")))
    status, lines = cli_here(capsys, "evaluate", "--checkpoint", str(run_dir))
    assert status == 2 and len(lines) == 1 and "this run has env_id='MountainCarContinuous-v0'" in lines[0]


def test_a_run_that_has_written_no_checkpoint_yet_is_one_line(finished_run, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir, symlinks=True)
    shutil.rmtree(run_dir / "checkpoints")  # (as in a run's first episode)
    status, lines = cli_here(capsys, "evaluate", "--checkpoint", str(run_dir))
    assert (status, lines) == (2, [f"error: no checkpoint at {run_dir}: its run has not written "
                                   f"one yet"])


def test_a_history_shorter_than_its_checkpoint_is_refused(finished_run, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir, symlinks=True)
    lines = (run_dir / "history.csv").read_text().splitlines(keepends=True)
    (run_dir / "history.csv").write_text("".join(lines[:2]))
    status, lines = cli_here(capsys, "train", "--resume", str(run_dir), "--total-steps", "1000")
    assert status == 2 and len(lines) == 1, lines
    assert "has 1 rows; the checkpoint counts 4: it was cut or edited" in lines[0]


def test_leftovers_of_a_kill_at_the_link_swap_are_pruned(finished_run, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir, symlinks=True)
    checkpoints = run_dir / "checkpoints"
    orphan = checkpoints / "step-000000123"
    shutil.copytree(os.path.realpath(checkpoints / "latest"), orphan)
    os.symlink("step-000000123", checkpoints / ".tmp-link-latest-99999")
    status, lines = cli_here(capsys, "train", "--resume", str(run_dir), "--total-steps", "1000",
                             "--no-progress")
    assert status == 0, lines
    assert not orphan.exists() and not os.path.lexists(checkpoints / ".tmp-link-latest-99999")


def test_evaluate_while_training_with_a_checkpoint_every_episode(tmp_path, capsys):
    """The checkpoint ``latest`` names may be pruned while evaluate reads it: it then reads
    the newer one. (Five evaluations, one after another in this process, while the training
    process writes a checkpoint and prunes an older one every episode.)"""
    run_dir = str(tmp_path / "run")
    process = start_training(run_dir, "--total-steps", "100000", "--set", "checkpoint_every_steps=200")
    wait_for_rows(run_dir, 2, process)  # (the first checkpoint is written after the first row)
    results = [cli_here(capsys, "evaluate", "--checkpoint", run_dir, "--episodes", "1")
               for _ in range(5)]
    assert process.poll() is None  # (still training: every evaluation raced its checkpoints)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    for status, lines in results:
        assert status == 0, lines


# -- resumed state that a test must notice if its restore is lost -----------------------------
def pendulum(**overrides):
    values = dict(env_id="Pendulum-v1", actor_hidden=(16, 16), critic_hidden=(16, 16),
                  buffer_size=3000, batch_size=16, learning_starts=16, checkpoint_every_steps=200,
                  eval_every_steps=200, eval_episodes=1, seed=3)
    values.update(overrides)
    return dg.Config.from_preset("emami", **values)


def test_a_resume_inside_the_random_warm_up_is_exact(tmp_path):
    """Stopped mid-episode at step 300 of a 600-step uniform warm-up: the warm-up generator
    (and the env's state) must come back, or the actions after step 300 differ."""
    config = pendulum(warmup_steps=600, learning_starts=600)
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    dg.train(config.replace(total_steps=1000), run_dir=straight).close()
    dg.train(config.replace(total_steps=300), run_dir=resumed).close()
    dg.train(config.replace(total_steps=1000), run_dir=resumed, resume=True).close()
    assert_same_run(straight, resumed)


def test_the_best_evaluation_survives_a_resume(tmp_path):
    """The run's best evaluation must come back with a resume: else the first evaluation
    after it counts as a new best and moves the ``best`` link. Seed 2's evaluations make
    that visible (asserted below), so losing the restore fails this test."""
    config = pendulum(seed=2)
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    dg.train(config.replace(total_steps=1600), run_dir=straight).close()
    dg.train(config.replace(total_steps=800), run_dir=resumed).close()
    dg.train(config.replace(total_steps=1600), run_dir=resumed, resume=True).close()
    from ddpg_graph.history import History
    evals = History.load(os.path.join(straight, "history.csv")).column("eval_return")
    assert max(evals[4:]) < max(evals[:4])  # the precondition: no new best after the resume
    assert_same_run(straight, resumed)
    best = [os.path.realpath(os.path.join(run, "checkpoints", "best")) for run in (straight, resumed)]
    assert [os.path.basename(b) for b in best] == [os.path.basename(best[0])] * 2


def test_the_oscilloscope_resumes_exactly(tmp_path):
    """The scope's sweep (its picture so far and its Q range) comes back with a resume."""
    config = pendulum(scope="file", scope_every=50)
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    dg.train(config.replace(total_steps=800), run_dir=straight).close()
    dg.train(config.replace(total_steps=500), run_dir=resumed).close()
    dg.train(config.replace(total_steps=800), run_dir=resumed, resume=True).close()
    assert_same_run(straight, resumed)
    states = [json.load(open(os.path.join(run, "checkpoints", "latest", "trainer.json")))["scope"]
              for run in (straight, resumed)]
    assert np.any(states[0]["raw"]["__ndarray__"])
    assert states[0] == states[1]


def test_rows_written_after_the_checkpoint_are_cut_on_resume(finished_run, tmp_path, capsys):
    """A kill after a history row but before the next checkpoint leaves a row the checkpoint
    does not count: the resume must drop it, or the episode appears twice."""
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir, symlinks=True)
    lines = (run_dir / "history.csv").read_text().splitlines(keepends=True)
    (run_dir / "history.csv").write_text("".join(lines + lines[-1:]))  # a 5th, uncounted row
    status, lines = cli_here(capsys, "train", "--resume", str(run_dir), "--total-steps", "1000",
                             "--no-progress")
    assert status == 0, lines
    from ddpg_graph.history import History
    episodes = History.load(str(run_dir / "history.csv")).column("episode")
    assert episodes == [0, 1, 2, 3, 4]


def test_a_dangling_latest_link_resumes_from_the_newest_complete_checkpoint(tmp_path):
    """``latest`` pointing at a checkpoint that is gone: the run is still resumable, from the
    newest complete ``step-*`` checkpoint, and a new run there is refused as for any run."""
    from ddpg_graph.rundir import latest_checkpoint
    checkpoints = tmp_path / "run" / "checkpoints"
    for step in ("step-000000400", "step-000000600"):
        (checkpoints / step).mkdir(parents=True)
        (checkpoints / step / "meta.json").write_text("{}")
    (checkpoints / "step-000000800").mkdir()  # incomplete: no meta.json
    os.symlink("step-000001000", checkpoints / "latest")  # dangling
    assert latest_checkpoint(str(tmp_path / "run")) == str(checkpoints / "step-000000600")
    os.remove(checkpoints / "latest")
    assert latest_checkpoint(str(tmp_path / "run")) == str(checkpoints / "step-000000600")
    assert latest_checkpoint(str(tmp_path / "nothing")) is None


def test_an_env_that_raises_mid_run_stops_with_one_line_naming_the_checkpoint(tmp_path, capsys):
    """The env's own exception: exit 1, one line with the env, its error, the step and the
    intact checkpoint; the run resumes from that checkpoint."""
    import toy_envs  # noqa: F401  (registers ToyLateExploding-v0: its 13th step raises)
    from ddpg_graph.cli import main
    run_dir = str(tmp_path / "run")
    status = main(["train", "--preset", "emami", "--env", "toy_envs:ToyLateExploding-v0", "--logdir",
                   run_dir, "--no-progress", "--total-steps", "100", "--set", "checkpoint_every_steps=5",
                   "--set", "eval_every_steps=0", "--set", "actor_hidden=8,8", "--set", "critic_hidden=8,8"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and len(lines) == 1, lines
    intact = os.path.join(os.path.realpath(run_dir), "checkpoints", "step-000000010")
    assert lines[0] == (f"error: the env toy_envs:ToyLateExploding-v0 raised in env.step() at step 11: "
                        f"RuntimeError: the simulator exploded; the last checkpoint ({intact}) is intact")


def test_an_observation_of_another_shape_stops_with_one_line():
    import gymnasium as gym
    import toy_envs
    from conftest import small_config
    from ddpg_graph.runner import Trainer

    class Shrinking(gym.Wrapper):
        """Its observations lose a value from the third step of an episode on."""
        def step(self, action):
            obs, *rest = self.env.step(action)
            return (obs[:1] if self.env.unwrapped.t >= 3 else obs), *rest

    trainer = Trainer(small_config(env_id="object:Shrinking", total_steps=50, dtype="float32"),
                      progress=False, env=Shrinking(toy_envs.CountingEnv(terminate_at=5)))
    assert run_error(trainer) == ("the env object:Shrinking returned an observation of shape (1,) "
                                  "and dtype float32 at step 2; its observation space is (2,) of "
                                  "numbers; the run was in memory")


def test_a_checkpointed_env_whose_module_is_not_importable_names_the_module(tmp_path):
    """An env object's run, evaluated or resumed where its module is not on sys.path: one
    line naming the module and PYTHONPATH (the env is in the checkpoint; its code is not)."""
    import toy_envs
    import ddpg_graph as dg
    from conftest import small_config
    run_dir = str(tmp_path / "run")
    config = small_config(total_steps=20, checkpoint_every_steps=10, eval_every_steps=10,
                          eval_episodes=1, dtype="float32")
    dg.train(config, env=toy_envs.CountingEnv(terminate_at=5), run_dir=run_dir).close()
    for args in (["evaluate", "--checkpoint", run_dir], ["train", "--resume", run_dir]):
        result = run_module(*args)  # tests/ is not on its sys.path: no toy_envs there
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            "error: the checkpoint holds object:CountingEnv, whose module 'toy_envs' cannot be "
            "imported here: put its directory on PYTHONPATH"], args
