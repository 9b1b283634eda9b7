"""Runs that survive: determinism across processes, exact resume after SIGKILL and Ctrl-C,
atomic checkpoints, clear refusals of bad checkpoints."""
import csv
import hashlib
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import REPO, cli_here, run_module

RUN_OPTIONS = ["--preset", "emami", "--total-steps", "1600", "--no-progress",
               "--set", "actor_hidden=32,32", "--set", "critic_hidden=32,32",
               "--set", "buffer_size=5000", "--set", "checkpoint_every_steps=400",
               "--set", "eval_every_steps=600", "--set", "eval_episodes=1"]


def history_without_wall_time(run_dir):
    with open(os.path.join(run_dir, "history.csv")) as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row.pop("wall_time")
    return rows


def checkpoint_tensors(run_dir):
    """Every variable of the latest checkpoint: weights, targets, optimiser slots."""
    import tensorflow as tf
    reader = tf.train.load_checkpoint(os.path.join(run_dir, "checkpoints", "latest", "model.ckpt"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def assert_same_run(a, b):
    assert history_without_wall_time(a) == history_without_wall_time(b)
    ta, tb = checkpoint_tensors(a), checkpoint_tensors(b)
    assert ta.keys() == tb.keys() and len(ta) > 20  # weights, targets and Adam slots
    for name in ta:
        np.testing.assert_array_equal(ta[name], tb[name], err_msg=name)
    for name in ("replay_s.npy", "replay_r.npy"):
        np.testing.assert_array_equal(
            np.load(os.path.join(a, "checkpoints", "latest", name)),
            np.load(os.path.join(b, "checkpoints", "latest", name)))


def start_training(run_dir, *extra):
    return subprocess.Popen([sys.executable, "-m", "ddpg_graph", "train", "--logdir", run_dir,
                             *RUN_OPTIONS, *extra], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_rows(run_dir, rows, process, timeout=120):
    path = os.path.join(run_dir, "history.csv")
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                if sum(1 for _ in f) - 1 >= rows:
                    return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the run did not get far enough")


# TD3's three switches: the smoothing noise's generator and the delay's counter must resume too
TD3_OPTIONS = ["--set", "twin_critics=true", "--set", "target_noise=0.2", "--set", "policy_delay=2"]


def straight_run(tmp_path_factory, *extra):
    run_dir = str(tmp_path_factory.mktemp("reference") / "run")
    result = run_module("train", "--logdir", run_dir, *RUN_OPTIONS, *extra, timeout=300)
    assert result.returncode == 0, result.stderr
    return run_dir


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    return straight_run(tmp_path_factory)


@pytest.fixture(scope="module")
def td3_reference_run(tmp_path_factory):
    return straight_run(tmp_path_factory, *TD3_OPTIONS)


def test_same_seed_same_run_in_fresh_processes(reference_run, tmp_path):
    again = str(tmp_path / "again")
    result = run_module("train", "--logdir", again, *RUN_OPTIONS, timeout=300)
    assert result.returncode == 0, result.stderr
    assert len(history_without_wall_time(again)) == 8
    assert_same_run(reference_run, again)


def test_another_seed_gives_another_run(reference_run, tmp_path):
    from ddpg_graph.cli import main
    other = str(tmp_path / "other")
    assert main(["train", "--logdir", other, *RUN_OPTIONS, "--seed", "1"]) == 0
    assert history_without_wall_time(other) != history_without_wall_time(reference_run)


def test_sigkill_then_resume_equals_uninterrupted_run(reference_run, tmp_path):
    kill_and_resume(str(tmp_path / "killed"), reference_run)


def test_sigkill_then_resume_with_td3_switches_equals_uninterrupted_run(td3_reference_run, tmp_path):
    run_dir = str(tmp_path / "killed")
    kill_and_resume(run_dir, td3_reference_run, *TD3_OPTIONS)
    tensors = checkpoint_tensors(run_dir)
    assert tensors["n_updates"] > 0 and any(name.startswith("target/q2/") for name in tensors)


def kill_and_resume(run_dir, reference, *extra):
    """SIGKILL mid-run (after a checkpoint), then ``--resume``: the run of ``reference``."""
    process = start_training(run_dir, *extra)
    wait_for_rows(run_dir, 3, process)  # past the checkpoint at episode 2, mid-episode 4
    time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL
    with open(os.path.join(run_dir, "history.csv")) as f:
        rows_at_kill = sum(1 for _ in f) - 1
    assert 3 <= rows_at_kill < 8

    result = run_module("train", "--resume", run_dir, "--no-progress", timeout=300)
    assert result.returncode == 0, result.stderr
    assert_same_run(reference, run_dir)


@pytest.mark.parametrize("signum, status, word", [(signal.SIGINT, 130, "interrupted"),
                                                   (signal.SIGTERM, 143, "terminated")])
def test_ctrl_c_or_sigterm_saves_and_resume_equals_uninterrupted_run(signum, status, word,
                                                                     reference_run, tmp_path):
    """Ctrl-C, and SIGTERM as schedulers and preemption send it: finish the step, save, exit
    128 + the signal with one line naming the checkpoint and how to go on."""
    run_dir = str(tmp_path / "interrupted")
    process = start_training(run_dir)
    wait_for_rows(run_dir, 1, process)
    time.sleep(0.3)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == status, stderr
    last = stderr.strip().splitlines()[-1]
    assert "Traceback" not in stderr and last.startswith(f"{word} at step")
    assert f"--resume {run_dir}" in last
    assert os.path.islink(os.path.join(run_dir, "checkpoints", "latest"))

    result = run_module("train", "--resume", run_dir, "--no-progress", timeout=300)
    assert result.returncode == 0, result.stderr
    assert_same_run(reference_run, run_dir)


# -- refusals and atomicity --------------------------------------------------------------------
def tree_digest(directory):
    digest = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(directory)):
        dirs.sort()
        for name in sorted(files + [d for d in dirs if os.path.islink(os.path.join(root, d))]):
            path = os.path.join(root, name)
            digest.update(path.encode())
            if os.path.islink(path):
                digest.update(os.readlink(path).encode())
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    digest.update(f.read())
    return digest.hexdigest()


@pytest.fixture
def finished_copy(reference_run, tmp_path):
    import shutil
    run_dir = str(tmp_path / "copy")
    shutil.copytree(reference_run, run_dir, symlinks=True)
    return run_dir


def latest(run_dir, name=""):
    return os.path.join(run_dir, "checkpoints", "latest", name)


def corrupt_truncate_replay(run_dir):
    path = latest(run_dir, "replay_s.npy")
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


def corrupt_weights(run_dir):
    with open(latest(run_dir, "model.ckpt.data-00000-of-00001"), "r+b") as f:
        f.truncate(100)


def corrupt_state(run_dir):
    with open(latest(run_dir, "trainer.json"), "w") as f:
        f.write('{"step": ')


def remove_history(run_dir):
    os.remove(os.path.join(run_dir, "history.csv"))


def garbage_history_row(run_dir):
    path = os.path.join(run_dir, "history.csv")
    with open(path) as f:
        lines = f.read().splitlines(keepends=True)
    lines[2] = "1,400,not a number,200\n"
    with open(path, "w") as f:
        f.write("".join(lines))


def malformed_meta(run_dir):
    with open(latest(run_dir, "meta.json"), "w") as f:
        f.write('{"format_version": 2,')


def config_value_of_wrong_type(run_dir):
    import json
    path = os.path.join(run_dir, "config.json")
    with open(path) as f:
        config = json.load(f)
    with open(path, "w") as f:
        json.dump(dict(config, tau="abc"), f)


def edit_meta(key, value):
    def edit(run_dir):
        import json
        with open(latest(run_dir, "meta.json")) as f:
            meta = json.load(f)
        meta[key] = value
        with open(latest(run_dir, "meta.json"), "w") as f:
            json.dump(meta, f)
    return edit


@pytest.mark.parametrize("damage, message", [
    (corrupt_truncate_replay, "corrupt checkpoint"),
    (corrupt_weights, "cannot restore checkpoint"),
    (corrupt_state, "corrupt checkpoint"),
    (edit_meta("obs_dim", 5), "obs_dim=5"),
    (edit_meta("preset", "zoo"), "preset='zoo'"),
    (edit_meta("format_version", 99), "format 99"),
    (remove_history, "history.csv"),
    (garbage_history_row, "not a row of numbers"),
    (malformed_meta, "unreadable meta.json"),
    (config_value_of_wrong_type, "tau"),
], ids=["truncated-replay", "truncated-weights", "corrupt-state", "other-dimensions",
        "other-preset", "other-format", "no-history", "garbage-history-row", "malformed-meta",
        "config-of-wrong-type"])
def test_bad_checkpoint_is_refused_and_nothing_changes(finished_copy, damage, message, capsys):
    """Through the CLI's entry point in this process (``cli.main``, whose status the
    command exits with; test_cli runs one refusal in a fresh process)."""
    damage(finished_copy)
    before = tree_digest(finished_copy)
    status, lines = cli_here(capsys, "train", "--resume", finished_copy, "--total-steps", "2000",
                             "--no-progress")
    assert status == 2 and len(lines) == 1, lines
    assert lines[0].startswith("error: ") and message in lines[0], lines
    assert tree_digest(finished_copy) == before


def test_new_run_refuses_a_non_empty_directory(finished_copy, capsys):
    from ddpg_graph.cli import main
    assert main(["train", "--logdir", finished_copy, *RUN_OPTIONS]) == 2
    err = capsys.readouterr().err
    assert "--resume" in err and "--overwrite" in err


def make_trainer(run_dir, **overrides):
    from ddpg_graph.config import Config
    from ddpg_graph.runner import Trainer
    values = dict(total_steps=400, actor_hidden=(16,), critic_hidden=(16, 16), buffer_size=1000,
                  checkpoint_every_steps=200, eval_every_steps=0)
    values.update(overrides)
    return Trainer(Config.from_preset("emami", **values), run_dir, progress=False)


class Crash(BaseException):
    """Stands for the process dying in the middle of a save."""


def test_crash_during_save_leaves_previous_checkpoint(tmp_path, monkeypatch):
    from ddpg_graph.replay import ReplayBuffer
    from ddpg_graph.runner import Trainer
    run_dir = str(tmp_path / "run")
    trainer = make_trainer(run_dir)
    trainer.run()  # checkpoints at steps 200 and 400
    previous = os.path.realpath(latest(run_dir))
    assert previous.endswith("step-000000400")

    real_save = ReplayBuffer.save

    def save_then_die(self, directory):
        real_save(self, directory)
        raise Crash()

    monkeypatch.setattr(ReplayBuffer, "save", save_then_die)
    trainer.step += 1  # pretend to be one step further, so the save has a new name
    with pytest.raises(Crash):
        trainer.save_checkpoint()
    trainer.close()
    monkeypatch.undo()
    assert os.path.realpath(latest(run_dir)) == previous
    assert not os.path.exists(os.path.join(run_dir, "checkpoints", "step-000000401"))
    resumed = Trainer(trainer.config.replace(total_steps=600), run_dir, progress=False, resume=True)
    assert resumed.step == 400
    resumed.run()
    resumed.close()
    leftovers = [e for e in os.listdir(os.path.join(run_dir, "checkpoints")) if e.startswith(".tmp")]
    assert leftovers == []


def test_disk_full_during_save_keeps_previous_and_says_so(tmp_path, monkeypatch):
    import errno
    from ddpg_graph.replay import ReplayBuffer
    from ddpg_graph.errors import RunError
    run_dir = str(tmp_path / "run")
    trainer = make_trainer(run_dir, total_steps=200)
    trainer.run()

    def disk_full(self, directory):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ReplayBuffer, "save", disk_full)
    trainer.config = trainer.config.replace(total_steps=400)
    with pytest.raises(RunError, match="No space left on device.*step-000000200 is intact"):
        trainer.run()
    trainer.close()
    assert os.path.realpath(latest(run_dir)).endswith("step-000000200")


def test_non_finite_loss_stops_with_step_and_checkpoint(tmp_path, monkeypatch):
    from ddpg_graph.agent import Agent
    from ddpg_graph.errors import RunError
    run_dir = str(tmp_path / "run")
    trainer = make_trainer(run_dir, total_steps=1000)
    real = Agent.act_and_train

    def diverge_at_500(self, obs, batch):
        action, stats = real(self, obs, batch)
        if trainer.step == 500:
            stats["td_loss"] = float("nan")
        return action, stats

    monkeypatch.setattr(Agent, "act_and_train", diverge_at_500)
    with pytest.raises(RunError, match=r"non-finite loss at step 500; .*step-000000400.* is intact"):
        trainer.run()
    trainer.close()
    assert os.path.realpath(latest(run_dir)).endswith("step-000000400")


def test_mujoco_run_resumes_mid_episode_exactly(tmp_path):
    """Gymnasium's MuJoCo envs pickle as their constructor arguments alone: a resume rebuilt a
    fresh simulation. With the simulator's state in the checkpoint, it equals the straight run."""
    pytest.importorskip("mujoco")
    options = [*RUN_OPTIONS, "--set", "env_id=InvertedPendulum-v5", "--set", "learning_starts=100",
               "--set", "checkpoint_every_steps=150"]
    from ddpg_graph.cli import main
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    assert main(["train", "--logdir", straight, *options, "--total-steps", "500"]) == 0  # (here)
    result = run_module("train", "--logdir", resumed, *options, "--total-steps", "250", timeout=300)
    assert result.returncode == 0, result.stderr
    result = run_module("train", "--resume", resumed, "--total-steps", "500", "--no-progress",
                        timeout=300)
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr
    assert_same_run(straight, resumed)


def test_a_run_written_with_the_old_column_names_resumes_exactly(reference_run, tmp_path):
    """ddpg_graph 0.1.0 wrote ``qmax`` and ``critic_loss`` (history.csv, the checkpoint's
    episode statistics); such a run resumes as if it had not stopped, under the new names."""
    import json
    from ddpg_graph.cli import main
    run_dir = str(tmp_path / "old")
    assert main(["train", "--logdir", run_dir, *RUN_OPTIONS, "--total-steps", "1000"]) == 0
    path = os.path.join(run_dir, "history.csv")
    text = open(path).read()
    header, rest = text.split("\n", 1)
    assert header.split(",")[4:6] == ["q_max", "td_loss"]
    open(path, "w").write(header.replace("q_max", "qmax").replace("td_loss", "critic_loss")
                          + "\n" + rest)
    state_path = os.path.join(run_dir, "checkpoints", "latest", "trainer.json")
    state = json.load(open(state_path))
    state["stats"] = {"count": 0, "totals": {"qmax": 0.0, "critic_loss": 0.0, "actor_loss": 0.0,
                                             "q_mean": 0.0}}
    json.dump(state, open(state_path, "w"))
    result = run_module("train", "--resume", run_dir, "--total-steps", "1600", "--no-progress",
                        timeout=300)
    assert result.returncode == 0, result.stderr
    assert_same_run(reference_run, run_dir)
