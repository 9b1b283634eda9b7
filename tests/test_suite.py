"""tools/suite.py: one evaluation protocol for every library, exact resume of ddpg_graph's
trials with their curves, finished trials never rerun; tools/suite_report.py: rliable's
statistics on known scores."""
import csv
import os
import sys

import numpy as np
import pytest

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, "tools"))
import suite  # noqa: E402
import suite_report  # noqa: E402

pytest.importorskip("rliable")
TINY = ["learning_starts=50", "warmup_steps=50", "batch_size=32", "actor_hidden=16,16",
        "critic_hidden=16,16", "buffer_size=1000", "checkpoint_every_steps=200"]


def plan(steps=400, libraries=("ddpg_graph",), seeds=(0,)):
    return {"envs": ["Pendulum-v1"], "seeds": list(seeds), "steps": steps, "eval_every": 200,
            "preset": "zoo", "libraries": list(libraries), "variants": {}, "overrides": TINY}


def config_dict(library="ddpg_graph", steps=400):
    (_, config), = [v for k, v in suite.plan_configs(plan(steps, [library])).items()]
    return config.to_dict()


def test_a_resumed_trial_gives_the_straight_trials_curve(tmp_path):
    """ddpg_graph's trial stopped at step 200 (its checkpoint) and run on to 400 gives the
    curve of the trial run straight to 400, evaluation for evaluation, bit for bit."""
    straight = suite.run_trial("ddpg_graph", config_dict(), str(tmp_path / "straight"), 200)
    assert straight["status"] == "finished", straight
    first = suite.run_trial("ddpg_graph", config_dict(steps=200), str(tmp_path / "resumed"), 200)
    assert first["status"] == "finished" and first["step"] == 200
    resumed = suite.run_trial("ddpg_graph", config_dict(), str(tmp_path / "resumed"), 200)
    curve = suite.Curve(str(tmp_path / "resumed")).rows
    assert [s for s, _ in curve] == [200, 400]
    assert curve == suite.Curve(str(tmp_path / "straight")).rows
    values = suite.overestimation_curve(str(tmp_path / "resumed")).rows
    assert [row[0] for row in values] == [200, 400]
    assert values == suite.overestimation_curve(str(tmp_path / "straight")).rows
    assert resumed["final_return"] == straight["final_return"]


def test_every_library_is_evaluated_by_the_protocol(tmp_path):
    """The same policy scores the same whoever evaluates it: the protocol's fixed reset
    seeds; and a peer's trial writes its curve at the same steps."""
    zero = suite.evaluate(lambda obs: np.zeros(1), "Pendulum-v1", lambda obs: 1.0, 0.5)
    assert zero == suite.evaluate(lambda obs: np.zeros(1), "Pendulum-v1", lambda obs: 1.0, 0.5)
    assert zero.q_s0 == 1.0
    # the discounted return is the first rewards' discounted sum: here gamma 0.5, so the
    # episode's return (200 rewards, all <= 0) weighs far more than it
    assert zero.ret < zero.discounted_return <= 0
    undiscounted = suite.evaluate(lambda obs: np.zeros(1), "Pendulum-v1", None, 1.0)
    assert undiscounted.discounted_return == pytest.approx(undiscounted.ret)
    assert np.isnan(undiscounted.q_s0)
    pytest.importorskip("stable_baselines3")
    row = suite.run_trial("sb3", config_dict("sb3"), str(tmp_path / "sb3"), 200)
    assert row["status"] == "finished", row
    assert [s for s, _ in suite.Curve(str(tmp_path / "sb3")).rows] == [200, 400]
    # SB3's critic, read at each evaluation: finite values beside the discounted returns
    values = suite.overestimation_curve(str(tmp_path / "sb3")).rows
    assert [row[0] for row in values] == [200, 400]
    assert all(np.isfinite(row[1:]).all() for row in values)


def test_the_suite_on_ray_does_not_rerun_finished_trials(tmp_path, local_ray, capsys):
    out = str(tmp_path / "suite")
    the_plan = plan(steps=200, seeds=(0, 1))
    suite.run_suite(the_plan, out)
    assert "0 of 2 trials finished earlier" in capsys.readouterr().out
    with open(os.path.join(out, "trials.csv"), newline="") as f:
        assert [r["status"] for r in csv.DictReader(f)] == ["finished", "finished"]
    suite.run_suite(the_plan, out)
    assert "2 of 2 trials finished earlier; 0 to run" in capsys.readouterr().out
    with pytest.raises(Exception, match="holds another suite"):
        suite.run_suite(plan(steps=400), out)


def write_scores(out, scores, steps=200):
    """trials.csv and curves.csv of finished trials whose last evaluation is ``scores``
    [env][library] (one per seed)."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "trials.csv"), "w", newline="") as t, \
            open(os.path.join(out, "curves.csv"), "w", newline="") as c:
        trials, curves = csv.writer(t), csv.writer(c)
        trials.writerow(["env", "library", "seed", "status"])
        curves.writerow(["env", "library", "seed", "step", "return"])
        for env, libraries in scores.items():
            for library, values in libraries.items():
                for seed, value in enumerate(values):
                    trials.writerow([env, library, seed, "finished"])
                    curves.writerow([env, library, seed, steps // 2, value / 2])
                    curves.writerow([env, library, seed, steps, value])


def test_report_gives_rliables_statistics(tmp_path):
    """IQM as the 25%-trimmed mean of the seeds' scores; P(ours > peer) as the share of
    pairs ours wins (7 of our 8 seeds beat all 8 of the peer's: 56/64), 0.5 against itself."""
    from scipy.stats import trim_mean
    ours = [-150.0, -140.0, -160.0, -130.0, -400.0, -145.0, -155.0, -135.0]
    peer = [-200.0, -210.0, -190.0, -205.0, -195.0, -185.0, -215.0, -180.0]
    out = str(tmp_path / "report")
    write_scores(out, {"Pendulum-v1": {"ddpg_graph": ours, "sb3": peer, "twin": ours}})
    the_plan = dict(plan(steps=200, libraries=("ddpg_graph", "sb3")),
                    variants={"twin": ["tau=0.01"]})
    text = suite_report.report(out, the_plan)
    rows = {line.split("|")[2].strip(): line.split("|") for line in text.splitlines()
            if line.startswith("| Pendulum-v1")}
    assert rows["ddpg_graph"][4].strip().startswith(f"{trim_mean(ours, 0.25):.0f} [")
    assert rows["sb3"][4].strip().startswith(f"{trim_mean(peer, 0.25):.0f} [")
    assert rows["sb3"][6].strip().startswith("0.88 [")
    assert rows["twin"][6].strip().startswith("0.50 [")
    for name in ("report.md", "curves.png", "aggregate.png", "profiles.png"):
        assert os.path.getsize(os.path.join(out, name)) > 0


def test_report_gives_the_overestimation_at_the_last_evaluation(tmp_path):
    """Q(s0) minus the discounted return, per library: the mean over seeds of the last
    evaluation's values and the standard deviation of the differences; and its plot."""
    out = str(tmp_path / "report")
    write_scores(out, {"Pendulum-v1": {"ddpg_graph": [-150.0, -140.0], "sb3": [-160.0, -170.0]}})
    with open(os.path.join(out, "overestimation.csv"), "w", newline="") as f:
        rows = csv.writer(f)
        rows.writerow(["env", "library", "seed", "step", "q_s0", "discounted_return"])
        for library, q_s0 in (("ddpg_graph", [-10.0, -14.0]), ("sb3", [-30.0, -20.0])):
            for seed, q in enumerate(q_s0):
                rows.writerow(["Pendulum-v1", library, seed, 100, 99.0, 99.0])  # not the last
                rows.writerow(["Pendulum-v1", library, seed, 200, q, -20.0])
    text = suite_report.report(out, plan(steps=200, libraries=("ddpg_graph", "sb3")))
    rows = {line.split("|")[2].strip(): [c.strip() for c in line.split("|")]
            for line in text.splitlines() if line.startswith("| Pendulum-v1") and "±" in line}
    assert rows["ddpg_graph"][3:7] == ["2", "-12.0", "-20.0", "+8.0 ± 2.0"]
    assert rows["sb3"][3:7] == ["2", "-25.0", "-20.0", "-5.0 ± 5.0"]
    assert os.path.getsize(os.path.join(out, "overestimation.png")) > 0


def test_the_bootstrap_gives_the_same_intervals_every_time():
    """rliable 1.2 resamples with NumPy's global generator whatever random_state says; the
    report seeds it for each estimate (and gives it back), so the same scores give the same
    intervals, in full precision, and NumPy's global stream goes on as before."""
    from rliable import metrics
    scores = {"a": np.array([[1.0], [5.0], [3.0], [9.0], [2.0]]),
              "b": np.array([[2.0], [4.0], [8.0], [1.0], [7.0]])}
    iqm = lambda x: np.array([metrics.aggregate_iqm(x)])  # noqa: E731
    np.random.seed(5)
    expected_next = np.random.random()
    np.random.seed(5)
    first = suite_report._interval(scores, iqm)[1]
    assert np.random.random() == expected_next
    for other in (6, 7, 8):  # whatever state NumPy's global generator is in
        np.random.seed(other)
        again = suite_report._interval(scores, iqm)[1]
        for key in scores:
            np.testing.assert_array_equal(again[key], first[key])
