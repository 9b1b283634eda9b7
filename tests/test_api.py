"""The Python API: the README's example as written, export in fresh processes, library habits."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, run_module

import ddpg_graph as dg


def readme_python_example():
    with open(os.path.join(REPO, "README.md")) as f:
        text = f.read()
    section = text[text.index("## Use it from Python"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs_as_written(tmp_path):
    code = readme_python_example()
    assert len([line for line in code.splitlines() if line.strip()]) <= 20
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "evaluation:" in result.stdout and "last-10 mean return:" in result.stdout
    assert "step 2000: evaluation " in result.stdout  # the example's callback
    assert result.stderr.strip() == ""  # TensorFlow's C++ notices are quiet by default
    assert sorted(os.listdir(tmp_path)) == ["pendulum_policy"]  # no run directory unless asked
    assert os.path.exists(tmp_path / "pendulum_policy" / "saved_model.pb")


def test_public_names_and_a_light_import():
    code = ("import sys, ddpg_graph as dg; print('tensorflow' in sys.modules);"
            "print(' '.join(n for n in dir(dg) if not n.startswith('_')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    loaded, names = result.stdout.splitlines()
    assert loaded == "False"  # importing the package imports no TensorFlow
    for name in ("Config", "PRESETS", "Agent", "Trainer", "train", "evaluate", "make_env",
                 "load_run", "export", "UserError", "RunError", "Callback", "StopAtStep"):
        assert name in names.split()


def test_library_errors_speak_of_the_library_and_the_cli_adds_its_hints(tmp_path):
    config = dg.Config.from_preset("emami", total_steps=10, env_id="Pendulum-v1")
    step = tmp_path / "run" / "checkpoints" / "step-000000010"
    step.mkdir(parents=True)  # a run that can be resumed: a complete checkpoint ...
    (step / "meta.json").write_text("{}")
    os.symlink("step-000000010", tmp_path / "run" / "checkpoints" / "latest")  # ... linked
    with pytest.raises(dg.RunDirNotEmpty) as caught:
        dg.train(config, run_dir=str(tmp_path / "run"))
    assert "--" not in str(caught.value)
    result = run_module("train", "--preset", "emami", "--logdir", str(tmp_path / "run"))
    assert result.returncode == 2
    assert "pass --resume to continue its run, --overwrite to replace it" in result.stderr


EXPORT_CHECK = """
import json, sys
import numpy as np
import tensorflow as tf
kind, path, obs = sys.argv[1], sys.argv[2], np.array(json.loads(sys.argv[3]), np.float32)
if kind == "saved_model":
    serve = tf.saved_model.load(path).signatures["serving_default"]
    action = serve(obs=tf.constant(obs))["action"].numpy()
else:
    tf1 = tf.compat.v1
    graph_def = tf1.GraphDef()
    with open(path, "rb") as f:
        graph_def.ParseFromString(f.read())
    graph = tf.Graph()
    with graph.as_default():
        tf1.import_graph_def(graph_def, name="")
    action = tf1.Session(graph=graph).run("action:0", {"obs:0": obs})
print(json.dumps(action.tolist()))
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    config = dg.Config.from_preset("emami", total_steps=400, env_id="Pendulum-v1",
                                   actor_hidden=(32, 32), critic_hidden=(32, 32))
    with dg.train(config, run_dir=str(out / "run")) as run:
        yield run, out


@pytest.mark.parametrize("fmt", ["saved_model", "graphdef"])
def test_export_loads_in_a_fresh_process_and_matches_act(fmt, trained, rng):
    run, out = trained
    path = dg.export(run.agent, str(out / fmt), format=fmt)
    obs = rng.uniform(-1, 1, (5, 3)).astype(np.float32)
    expected = np.array([run.agent.act(o) for o in obs])
    result = subprocess.run([sys.executable, "-c", EXPORT_CHECK, fmt, path, json.dumps(obs.tolist())],
                            capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert result.returncode == 0, result.stderr
    actions = np.array(json.loads(result.stdout.strip().splitlines()[-1]))
    np.testing.assert_allclose(actions, expected, rtol=1e-6, atol=1e-6)
    assert np.all(np.abs(actions) <= 2.0) and np.ptp(actions) > 0


def test_export_from_the_command_line(trained, tmp_path):
    run, out = trained
    result = run_module("export", "--checkpoint", str(out / "run"), "--out", str(tmp_path / "gd"),
                        "--format", "graphdef")
    assert result.returncode == 0, result.stderr
    assert os.path.getsize(tmp_path / "gd" / "policy.pb") > 1000
    result = run_module("export", "--checkpoint", str(out / "run"), "--out", str(tmp_path / "gd"),
                        "--format", "onnx")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_evaluate_refuses_bad_episode_counts_and_an_env_of_another_size():
    config = dg.Config.from_preset("emami", actor_hidden=(8,), critic_hidden=(8,),
                                   critic_action_input="concat")
    agent = dg.Agent(config, 3, [-2.0], [2.0])
    try:
        for episodes in (0, -1, 2.5, True):
            with pytest.raises(dg.UserError, match="episodes must be a positive whole number"):
                dg.evaluate(agent, "Pendulum-v1", episodes=episodes)
        with pytest.raises(dg.UserError, match="observations of size 4 and actions of size 1; "
                                               "the agent was made for 3 and 1"):
            dg.evaluate(agent, "InvertedPendulum-v5", episodes=1)
        assert len(dg.evaluate(agent, "Pendulum-v1", episodes=2)) == 2
    finally:
        agent.close()
