"""The one code path behind reproduce/*.py: run, report, video, reference check, resume."""
import os

from ddpg_graph import reproduce
from ddpg_graph.history import History


def test_reproduce_runs_reports_and_resumes(tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    common = ["--no-progress", "--scope", "off", "--set", "eval_every_steps=0"]
    status = reproduce.main("canton", argv=["--steps", "400", "--logdir", run_dir, *common])
    out = capsys.readouterr().out
    assert status == 1  # two episodes cannot reach the -250 target
    assert "last 10 training episodes, mean return" in out and "target (last-10 mean >= -250): NOT" in out
    assert "reference check: " in out and "smoothed return inside the widened band" in out
    for name in ("curve.png", "policy.mp4"):
        assert os.path.getsize(os.path.join(run_dir, name)) > 10_000, name
    assert len(History.load(os.path.join(run_dir, "history.csv"))) == 2

    reproduce.main("canton", argv=["--resume", run_dir, "--steps", "600", "--no-progress"])
    assert len(History.load(os.path.join(run_dir, "history.csv"))) == 3
    assert reproduce.main("canton", argv=["--resume", run_dir, "--set", "tau=0.1"]) == 2
    assert "only --total-steps" in capsys.readouterr().err
