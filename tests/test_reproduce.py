"""The one code path behind reproduce/*.py (``python -m ddpg_graph reproduce PRESET``): run,
report, video, reference check, resume."""
import os
import subprocess
import sys

from conftest import REPO
from ddpg_graph.cli import main
from ddpg_graph.history import History


def test_reproduce_runs_reports_and_resumes(tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    common = ["--no-progress", "--scope", "off", "--set", "eval_every_steps=0"]
    status = main(["reproduce", "canton", "--steps", "400", "--logdir", run_dir, *common])
    out = capsys.readouterr().out
    assert status == 1  # two episodes cannot reach the -250 target
    assert "last 10 training episodes, mean return" in out and "target (last-10 mean >= -250): NOT" in out
    assert "reference check: " in out and "smoothed return inside the widened band" in out
    for name in ("curve.png", "policy.mp4"):
        assert os.path.getsize(os.path.join(run_dir, name)) > 10_000, name
    assert len(History.load(os.path.join(run_dir, "history.csv"))) == 2

    main(["reproduce", "canton", "--resume", run_dir, "--steps", "600", "--no-progress"])
    assert len(History.load(os.path.join(run_dir, "history.csv"))) == 3
    assert main(["reproduce", "canton", "--resume", run_dir, "--set", "tau=0.1"]) == 2
    assert "only total_steps, scope, device, vector_mode may change" in capsys.readouterr().err


def test_each_reproduce_script_is_the_reproduce_command_of_its_preset():
    scripts = {"pendulum_v0.py": "emami", "pendulum_morvan.py": "morvan",
               "pendulum_tf2.py": "tf2_article", "pendulum_canton.py": "canton",
               "mountaincar_keras.py": "keras_mountaincar"}
    assert sorted(scripts) == sorted(f for f in os.listdir(os.path.join(REPO, "reproduce"))
                                     if f.endswith(".py"))
    for script, preset in scripts.items():
        text = open(os.path.join(REPO, "reproduce", script)).read()
        assert f'main(["reproduce", "{preset}", *sys.argv[1:]])' in text, script
    # one of them run for real, with bad input: the command line's one line and exit 2
    out = subprocess.run([sys.executable, os.path.join(REPO, "reproduce", "pendulum_v0.py"),
                          "--seed", "-1"], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 2 and out.stderr == "error: seed must be non-negative, got -1\n"
