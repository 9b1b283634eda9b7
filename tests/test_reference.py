"""Reference curves: statistics, file round trip, the pass/fail rule, the compare command."""
import numpy as np
import pytest

from conftest import run_module
from ddpg_graph.history import History
from ddpg_graph.reference import Reference, build, compare, smooth


def history_of(returns):
    history = History()
    for i, value in enumerate(returns):
        history.append({"episode": i, "step": 200 * (i + 1), "return": float(value)})
    return history


def learning_curve(rng, n=60, noise=40.0):
    episodes = np.arange(n)
    return -1500 + 1350 * (1 - np.exp(-episodes / 15)) + rng.normal(0, noise, n)


def test_build_gives_median_and_percentile_band(rng):
    runs = [learning_curve(rng) for _ in range(5)]
    ref = build([history_of(r) for r in runs[:4]] + [history_of(runs[4][:50])])
    assert len(ref) == 50 and ref.seeds == 5  # the episodes every run has
    stacked = np.array([r[:50] for r in runs])
    np.testing.assert_allclose(ref.median, np.median(stacked, axis=0))
    np.testing.assert_allclose(ref.low, np.percentile(stacked, 10, axis=0))
    np.testing.assert_allclose(ref.high, np.percentile(stacked, 90, axis=0))
    assert "tensorflow" in ref.meta["versions"]


def test_save_and_load_round_trip(tmp_path, rng):
    ref = build([history_of(learning_curve(rng)) for _ in range(3)], {"preset": "x"},
                published=[-120.5, -80.25])
    path = str(tmp_path / "x.csv")
    ref.save(path)
    loaded = Reference.load(path)
    np.testing.assert_allclose(loaded.median, ref.median, atol=1e-4)
    np.testing.assert_allclose(loaded.low, ref.low, atol=1e-4)
    np.testing.assert_allclose(loaded.published, [-120.5, -80.25])
    assert loaded.meta["preset"] == "x" and loaded.seeds == 3


def test_rule_passes_a_typical_run_and_fails_a_broken_one(rng):
    ref = build([history_of(learning_curve(rng)) for _ in range(5)])
    assert compare(history_of(learning_curve(rng)), ref).passed
    never_learns = -1500 + rng.normal(0, 40, 60)
    verdict = compare(history_of(never_learns), ref)
    assert not verdict.passed and verdict.inside_fraction < 0.5
    worse_at_the_end = learning_curve(rng)
    worse_at_the_end[-10:] -= 400  # collapses: fails the final-mean condition
    verdict = compare(history_of(worse_at_the_end), ref)
    assert not verdict.passed and verdict.final_mean < verdict.final_floor


def test_final_floor_is_the_widened_band_edge(rng):
    ref = build([history_of(learning_curve(rng)) for _ in range(5)])
    last = slice(len(ref) - 10, len(ref))
    floor = np.mean(ref.low[last] - (0.5 * (ref.high[last] - ref.low[last]) + 20.0))
    run = learning_curve(rng)
    run[-10:] = ref.low[last] - 1.0  # below the bare 10th percentile, inside the margin
    verdict = compare(history_of(run), ref)
    assert verdict.final_floor == pytest.approx(floor) and verdict.passed
    run[-10:] = floor - 1.0
    verdict = compare(history_of(run), ref)
    assert not verdict.passed and verdict.inside_fraction >= 0.8  # failed on the floor alone


def test_smooth_is_a_centred_moving_average():
    np.testing.assert_allclose(smooth(np.arange(5.0), window=2), [0.5, 1, 2, 3, 3.5])


def test_compare_command_exit_codes(tmp_path, rng):
    ref = build([history_of(learning_curve(rng)) for _ in range(5)])
    ref_path = str(tmp_path / "ref.csv")
    ref.save(ref_path)
    good, bad = tmp_path / "good", tmp_path / "bad"
    for directory, returns in ((good, learning_curve(rng)), (bad, -1500 + rng.normal(0, 40, 60))):
        directory.mkdir()
        history = History(str(directory / "history.csv"))
        for i, value in enumerate(returns):
            history.append({"episode": i, "step": 200 * (i + 1), "return": float(value)})
    result = run_module("compare", str(good), "--reference", ref_path, "--plot",
                        str(tmp_path / "curve.png"))
    assert result.returncode == 0 and result.stdout.startswith("PASS"), result.stderr
    assert (tmp_path / "curve.png").stat().st_size > 10_000
    result = run_module("compare", str(bad), "--reference", ref_path)
    assert result.returncode == 1 and result.stdout.startswith("FAIL")
    result = run_module("compare", str(good), "--reference", "no_such_preset")
    assert result.returncode == 2 and "no reference curve" in result.stderr
