"""Sweeps on a local Ray instance limited to 2 CPUs: the summary, the run directories and
TensorBoard files, a failing trial, a trial killed with SIGKILL, and a rerun."""
import glob
import json
import os
import signal
import time

import pytest

import toy_envs  # noqa: F401  (registers the toy envs)
from ddpg_graph import sweep as sweeps
from ddpg_graph.cli import main
from test_resume import history_without_wall_time

ray = pytest.importorskip("ray")
SHORT = ["total_steps=300", "actor_hidden=16,16", "critic_hidden=16,16", "buffer_size=1000",
         "checkpoint_every_steps=100", "eval_every_steps=200", "eval_episodes=1"]


pytestmark = pytest.mark.usefixtures("local_ray")  # (conftest: this process's local Ray)


def test_seeds_times_grid_are_trials_with_their_own_runs_and_a_summary(tmp_path, capsys):
    out = str(tmp_path / "sweep")
    args = ["sweep", "--preset", "emami", "--seeds", "0-1", "--grid", "tau=0.01,0.001",
            "--out", out, "--no-progress", *[x for s in SHORT for x in ("--set", s)]]
    assert main(args) == 0
    printed = capsys.readouterr()
    assert f"4 finished; summary: {out}/summary.csv" in printed.out
    rows = sweeps.read_summary(out)
    assert [(r["trial"], r["seed"], r["tau"], r["status"]) for r in rows] == [
        ("tau=0.01,seed=0", "0", "0.01", "finished"), ("tau=0.01,seed=1", "1", "0.01", "finished"),
        ("tau=0.001,seed=0", "0", "0.001", "finished"), ("tau=0.001,seed=1", "1", "0.001", "finished")]
    for row in rows:
        run_dir = os.path.join(out, row["trial"])
        history = history_without_wall_time(run_dir)
        assert len(history) == 1 and history[0]["step"] == "200"  # 300 steps: one full episode
        assert float(row["last10_return"]) == pytest.approx(float(history[0]["return"]), abs=1e-3)
        assert float(row["eval_return"]) == pytest.approx(float(history[0]["eval_return"]), abs=1e-3)
        assert row["step"] == "300" and float(row["wall_time"]) > 0 and row["node"]
        assert row["attempts"] == "1" and row["error"] == ""
        assert glob.glob(os.path.join(run_dir, "tb", "events.out.tfevents.*"))
        config = json.load(open(os.path.join(run_dir, "config.json")))
        assert (config["seed"], config["tau"], config["intra_op_threads"]) == (
            int(row["seed"]), float(row["tau"]), 1)
    # the two seeds differ; the same seed with another tau differs too
    assert len({r["last10_return"] for r in rows}) == 4

    # the same command again runs no finished trial twice
    histories = {r["trial"]: os.path.getmtime(os.path.join(out, r["trial"], "history.csv"))
                 for r in rows}
    assert main(args) == 0
    assert "4 of 4 trials finished earlier; not run again" in capsys.readouterr().out
    assert sweeps.read_summary(out) == rows
    for trial, mtime in histories.items():
        assert os.path.getmtime(os.path.join(out, trial, "history.csv")) == mtime


def test_a_failing_trial_is_reported_and_the_others_finish(tmp_path):
    out = str(tmp_path / "sweep")
    _, rows = sweeps.sweep("emami", [0], {"env_id": ["Pendulum-v0", "toy_envs:ToyExploding-v0"]},
                           out=out, overrides=SHORT, progress=False)
    assert [(r["env_id"], r["status"]) for r in rows] == [
        ("Pendulum-v0", "finished"), ("toy_envs:ToyExploding-v0", "failed")]
    assert rows[1]["error"].startswith("the env toy_envs:ToyExploding-v0 raised in env.step() at step ")
    assert "RuntimeError: the simulator exploded; " in rows[1]["error"]
    assert [r["status"] for r in sweeps.read_summary(out)] == ["finished", "failed"]


def test_a_killed_trial_is_retried_and_resumes_exactly(tmp_path):
    from ddpg_graph.runner import Trainer
    overrides = SHORT + ["total_steps=1200", "checkpoint_every_steps=200"]
    out = str(tmp_path / "sweep")
    import threading
    result = {}
    worker = threading.Thread(target=lambda: result.update(rows=sweeps.sweep(
        "emami", [3], out=out, overrides=overrides, progress=False)[1]))
    worker.start()
    trial_dir = os.path.join(out, "seed=3")
    deadline = time.time() + 120
    while time.time() < deadline:  # past the first checkpoints, mid-run
        rows = history_without_wall_time(trial_dir) if os.path.exists(
            os.path.join(trial_dir, "history.csv")) else []
        if len(rows) >= 2:
            break
        time.sleep(0.1)
    os.kill(json.load(open(trial_dir + ".json"))["pid"], signal.SIGKILL)
    worker.join(timeout=300)
    [row] = result["rows"]
    assert (row["status"], row["attempts"]) == ("finished", 2)

    straight = sweeps.trial_config("emami", sweeps.Trial({}, 3), overrides, cpus_per_run=1)
    with Trainer(straight, str(tmp_path / "straight"), progress=False) as trainer:
        trainer.run()
    assert history_without_wall_time(trial_dir) == history_without_wall_time(tmp_path / "straight")


def test_ctrl_c_stops_every_trial_at_a_checkpoint_and_the_same_command_goes_on(tmp_path, local_ray):
    """Ray's cancellation reaches each trial as Ctrl-C: it saves and stops; nothing is lost.
    (The driver runs on this process's Ray, as on a cluster; a driver's own local Ray is
    the tune test's.)"""
    import subprocess
    import sys
    from conftest import REPO
    from ddpg_graph.runner import Trainer
    # (4,000 steps: the Ctrl-C must reach trials that are well short of their end, even on a
    # loaded machine where Ray's cancellation takes seconds)
    overrides = SHORT + ["total_steps=4000", "checkpoint_every_steps=1000"]
    out = str(tmp_path / "sweep")
    command = [sys.executable, "-m", "ddpg_graph", "sweep", "--preset", "emami", "--seeds", "0-1",
               "--out", out, "--no-progress", "--address", local_ray,
               *[x for s in overrides for x in ("--set", s)]]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.time() + 180
    histories = [os.path.join(out, f"seed={s}", "history.csv") for s in (0, 1)]
    while time.time() < deadline and not all(
            os.path.exists(h) and len(open(h).readlines()) >= 3 for h in histories):
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=180)
    assert process.returncode == 130, err
    for row in sweeps.read_summary(out):
        assert row["status"] == "stopped", row
        step = int(row["step"])
        assert 400 <= step < 4000  # stopped mid-run
        assert row["error"].startswith(f"interrupted at step {step}; checkpoint saved to ")
        latest = os.path.realpath(os.path.join(out, row["trial"], "checkpoints", "latest"))
        assert os.path.basename(latest) == f"step-{step:09d}"

    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert [r["status"] for r in sweeps.read_summary(out)] == ["finished", "finished"]
    straight = sweeps.trial_config("emami", sweeps.Trial({}, 0), overrides, cpus_per_run=1)
    with Trainer(straight, str(tmp_path / "straight"), progress=False) as trainer:
        trainer.run()
    assert history_without_wall_time(os.path.join(out, "seed=0")) == \
        history_without_wall_time(tmp_path / "straight")


def test_a_sweep_that_cannot_run_is_one_line_and_leaves_nothing(tmp_path, capsys):
    """An address where nothing answers, CPUs no node has, a plan too large: exit 2 at once
    with one line, and no sweep directory."""
    out = str(tmp_path / "new" / "sweep")
    cases = [(["--address", "127.0.0.1:1"], "cannot reach the Ray cluster at 127.0.0.1:1: Connection refused"),
             (["--cpus-per-run", "99"], "--cpus-per-run 99: no node of the cluster has that many CPUs "
                                        "(the largest has 2)"),
             (["--seeds", "0-100000"], "the plan has 100,001 trials; a sweep holds at most 10,000")]
    for extra, message in cases:
        started = time.time()
        status = main(["sweep", "--preset", "emami", "--out", out, "--no-progress", *extra])
        lines = capsys.readouterr().err.strip().splitlines()
        assert status == 2 and lines == [f"error: {message}: split it over several --out directories"
                                         if "plan" in message else f"error: {message}"], lines
        assert time.time() - started < 30
        assert not os.path.exists(tmp_path / "new")


def test_a_home_ray_cannot_write_is_one_line_naming_home(tmp_path):
    """Ray keeps its token in ~/.ray: HOME=/proc is one line naming HOME, exit 2, nothing
    created (its own Ray start, in a fresh process: the test's Ray would hide it)."""
    import subprocess
    import sys
    from conftest import REPO
    out = tmp_path / "sweep"
    done = subprocess.run([sys.executable, "-m", "ddpg_graph", "sweep", "--preset", "emami",
                           "--seeds", "0", "--out", str(out), "--no-progress"],
                          cwd=REPO, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, HOME="/proc"))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "error: Ray cannot write its files in HOME (/proc): No such file or directory: "
        "/proc/.ray; set HOME to a writable directory")
    assert not out.exists()


def test_a_stop_before_any_trial_saved_names_no_checkpoint():
    from ddpg_graph.pool import stopped_message
    assert stopped_message("tune", 0, "runs/t") == (
        "tune stopped; no running trial had to save a checkpoint; the same command "
        "(--out runs/t) goes on")
    assert "2 running trials saved a checkpoint" in stopped_message("sweep", 2, "o")
