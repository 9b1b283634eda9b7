"""Hyperparameter search (``tune``): Optuna's sampler and median pruner over a space given as
data, trials as Ray tasks on a local 2-CPU Ray, a study that survives its driver's SIGKILL,
and best.json reproducing the best trial."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import toy_envs  # noqa: F401  (registers the toy envs)
from conftest import REPO
from ddpg_graph import sweep as sweeps
from ddpg_graph import tune as tunes
from ddpg_graph.cli import main
from ddpg_graph.errors import ConfigError
from test_resume import history_without_wall_time

ray = pytest.importorskip("ray")
optuna = pytest.importorskip("optuna")

SHORT = ["env_id=toy_envs:ToyOffset-v0", "total_steps=200", "actor_hidden=8,8",
         "critic_hidden=8,8", "batch_size=16", "learning_starts=16", "buffer_size=1000",
         "eval_every_steps=50", "eval_episodes=1", "checkpoint_every_steps=100"]
# a hopeless region: every reward of the "bad" env is 100 lower; with the random sampler's
# seed 2 the trials draw good, good, good, bad, ...
SPACE = {"region": {"choices": {"good": {"offset": 0.0}, "bad": {"offset": -100.0}},
                    "sets": ["env_kwargs"]}}
TESTS = os.path.dirname(os.path.abspath(__file__))


def tune_args(out, trials, *extra):
    return ["tune", "--preset", "emami", "--trials", str(trials), "--sampler", "random",
            "--seed", "2", "--startup-trials", "1", "--out", out, "--no-progress",
            *[x for s in SHORT for x in ("--set", s)], *extra]


def read_trials(out):
    with open(os.path.join(out, "trials.csv"), newline="") as f:
        return list(csv.DictReader(f))


def test_a_study_ends_its_trials_prunes_the_hopeless_and_best_json_reproduces(local_ray, tmp_path,
                                                                              capsys):
    out = str(tmp_path / "tune")
    space = tmp_path / "space.json"
    space.write_text(json.dumps(SPACE))
    assert main(tune_args(out, 4, "--space", str(space))) == 0
    rows = read_trials(out)
    assert [r["trial"] for r in rows] == [str(i) for i in range(4)]
    assert [r["region"] for r in rows] == ["good", "good", "good", "bad"]
    states = {r["status"] for r in rows if r["region"] == "bad"}
    assert states == {"pruned"}, rows  # stopped at its second evaluation, below the median
    bad = rows[3]
    assert int(bad["step"]) < 200 and float(bad["best_eval"]) < -400
    assert all(r["status"] == "finished" for r in rows if r["region"] == "good")
    assert "1 pruned" in capsys.readouterr().out
    # a pruned trial stopped cleanly: a checkpoint at its last step and its history complete
    pruned_dir = tunes.trial_dir(out, 3)
    assert os.path.basename(os.path.realpath(os.path.join(pruned_dir, "checkpoints", "latest"))) \
        == f"step-{int(bad['step']):09d}"
    for name in ("best.json", "history.png", "study.journal"):
        assert os.path.exists(os.path.join(out, name)), name
    # best.json is the best trial's whole config: training it again gives its history exactly
    best = max((r for r in rows if r["status"] == "finished"), key=lambda r: float(r["value"]))
    again = str(tmp_path / "again")
    assert main(["train", "--config", os.path.join(out, "best.json"), "--logdir", again,
                 "--no-progress"]) == 0
    assert history_without_wall_time(again) == \
        history_without_wall_time(tunes.trial_dir(out, int(best["trial"])))


def test_a_killed_driver_resumes_the_study_without_repeating_finished_trials(local_ray, tmp_path):
    """SIGKILL of the driver mid-study; the same command again ends with the planned number
    of trials, each run once: finished trials untouched, the running ones resumed."""
    out = str(tmp_path / "tune")
    space = tmp_path / "space.json"
    space.write_text(json.dumps(SPACE))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "ddpg_graph", *tune_args(out, 3, "--space", str(space))]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline:
        if os.path.exists(os.path.join(out, "trials.csv")) and \
                sum(r["status"] == "finished" for r in read_trials(out)) >= 1:
            break
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)  # the driver and the local Ray it started
    process.communicate()
    running = [r["trial"] for r in read_trials(out) if r["status"] == "running"]
    before = {r["trial"]: os.path.getmtime(os.path.join(tunes.trial_dir(out, int(r["trial"])),
                                                        "history.csv"))
              for r in read_trials(out) if r["status"] == "finished"}
    assert main(tune_args(out, 3, "--space", str(space))) == 0  # (here, on the local Ray)
    rows = read_trials(out)
    assert [r["trial"] for r in rows] == ["0", "1", "2"]
    assert running  # (it was killed mid-study: these resumed)
    assert {r["status"] for r in rows} <= {"finished", "pruned"}
    for trial, mtime in before.items():  # not run again
        assert os.path.getmtime(os.path.join(tunes.trial_dir(out, int(trial)), "history.csv")) == mtime


@pytest.mark.parametrize("space, message", [
    ({"batch_size": {"choices": [64, 0]}}, "space 'batch_size' can give 0, which the config refuses"),
    ({"tau": {"low": 0.5, "high": 2.0}}, "space 'tau' can give 2.0, which the config refuses"),
    ({"tau": {"low": 0.1}}, "space 'tau': give either choices or low and high"),
    ({"lr": {"choices": [0.1], "sets": ["no_such_key"]}}, "which the config refuses: unknown config key"),
    ({"noise_sigma": {"low": 0.0, "high": 1.0, "log": True}}, "a log scale needs low above 0"),
    ({"tau": {"low": "a", "high": 0.1}}, "low and high must be numbers"),
])
def test_a_bad_space_is_one_line_before_anything_runs(space, message, tmp_path):
    with pytest.raises(ConfigError) as caught:
        tunes.tune("emami", 2, space=space, out=str(tmp_path / "t"), progress=False)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert not os.path.exists(tmp_path / "t")


def test_a_sampled_combination_the_config_refuses_is_a_failed_trial(local_ray, tmp_path, capsys):
    """Each value valid, together not: every trial is told FAIL with the reason (a row), the
    study goes on to its end, and with no finished trial no best config is named."""
    out = str(tmp_path / "tune")
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"batch_size": {"choices": [2048]}, "buffer_size": {"choices": [1000]}}))
    assert main(tune_args(out, 3, "--space", str(space), "--set", "buffer_size=100000")) == 1
    rows = read_trials(out)
    assert [r["status"] for r in rows] == ["failed"] * 3
    assert {r["error"] for r in rows} == {"batch_size (2048) must not exceed buffer_size (1000)"}
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "no trial finished: no best config" in last and not os.path.exists(os.path.join(out, "best.json"))


def test_a_continued_study_draws_new_values(local_ray, tmp_path):
    """The same command with more trials goes on sampling: the seeded sampler does not start
    its stream again (it drew trial 0's value for trial 1)."""
    out = str(tmp_path / "tune")
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"tau": {"low": 0.001, "high": 0.1}}))
    assert main(tune_args(out, 1, "--space", str(space))) == 0
    assert main(tune_args(out, 2, "--space", str(space))) == 0
    taus = [r["tau"] for r in read_trials(out)]
    assert len(taus) == 2 and taus[0] != taus[1]


@pytest.fixture
def small_disk(tmp_path):
    """An 800 kB tmpfs at ``tmp_path/disk`` (root only), grown by ``grow()``."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=800k", "tmpfs", str(disk)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (not root)")
    yield disk, lambda: subprocess.run(["mount", "-o", "remount,size=50m", str(disk)], check=True)
    subprocess.run(["umount", str(disk)])


def test_a_full_disk_is_one_line_and_the_rerun_writes_everything(local_ray, small_disk, capsys):
    disk, grow = small_disk
    out = str(disk / "tune")
    space = disk.parent / "space.json"
    space.write_text(json.dumps({"tau": {"low": 0.001, "high": 0.1}}))
    assert main(tune_args(out, 3, "--space", str(space))) == 1
    err = capsys.readouterr().err  # (where the disk fills first varies: a trial or the driver)
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert "Traceback" not in err and len(errors) <= 1, err
    assert all("No space left on device" in line for line in errors), errors
    assert not [name for name in os.listdir(out) if name.endswith(".tmp")]
    grow()
    main(tune_args(out, 3, "--space", str(space)))
    rows = read_trials(out)
    assert len(rows) == 3 and all(os.path.exists(tunes.trial_dir(out, int(r["trial"])) + ".json")
                                  for r in rows)


def test_the_default_space_is_rl_zoo3s_and_every_value_is_a_valid_config():
    tunes.check_space(tunes.DEFAULT_SPACE, {}, "emami")
    trial = optuna.trial.FixedTrial({"gamma": 0.98, "learning_rate": 3e-4, "batch_size": 256,
                                     "buffer_size": 100_000, "tau": 0.005, "train_freq": 4,
                                     "noise": "ou", "noise_sigma": 0.2, "net_arch": "medium"})
    values = tunes.sample(trial, tunes.DEFAULT_SPACE)
    assert values["actor_lr"] == values["critic_lr"] == 3e-4
    assert values["train_every"] == values["gradient_steps"] == 4
    assert values["actor_hidden"] == values["critic_hidden"] == [256, 256]


def test_a_space_file_reads_as_json_or_yaml(tmp_path):
    (tmp_path / "s.yaml").write_text("tau:\n  choices: [0.01, 0.02]\n")
    (tmp_path / "s.json").write_text('{"tau": {"choices": [0.01, 0.02]}}')
    assert tunes.load_space(str(tmp_path / "s.yaml")) == tunes.load_space(str(tmp_path / "s.json"))
    (tmp_path / "bad.json").write_text("{tau")
    with pytest.raises(tunes.UserError, match="cannot read the space"):
        tunes.load_space(str(tmp_path / "bad.json"))
    (tmp_path / "binary.json").write_bytes(bytes(range(256)))
    with pytest.raises(tunes.UserError, match="not UTF-8 text"):
        tunes.load_space(str(tmp_path / "binary.json"))
