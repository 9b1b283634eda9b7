"""Every way in for an environment × train, exact resume, evaluate, video, export.

Routes by id go through the command line: a new run, its resume and its evaluation each in a
fresh process (the straight run they are compared with runs in this one; the export, which
loads a checkpoint as evaluate does, for the most foreign route only); routes by object
through the Python API, in this process. Each exact-resume check stops a run mid-episode
(step 500) and resumes it to 800 steps, against 800 steps straight.
"""
import os
import subprocess
import sys

import gymnasium
import numpy as np
import pytest

import legacy_envs
from conftest import REPO, cli_here
from test_resume import assert_same_run

import ddpg_graph as dg
from ddpg_graph.cli import main
from ddpg_graph.video import record_video

TESTS = os.path.join(REPO, "tests")
# every route trains two envs at once (n_envs=2): each sub-env is made, seeded and pickled
# through the route; the pre-0.26 one in worker processes (async)
SMALL = ["--preset", "emami", "--no-progress", "--set", "actor_hidden=32,32",
         "--set", "critic_hidden=32,32", "--set", "buffer_size=2000", "--set", "eval_every_steps=400",
         "--set", "eval_episodes=1", "--set", "checkpoint_every_steps=200", "--n-envs", "2"]
ID_ROUTES = {
    "gym: id": ["--env", "gym:Pendulum-v1"],
    "shimmy-registered id": ["--env", "shimmy:GymV26Environment-v0",
                             "--set", 'env_kwargs={"env_id": "Pendulum-v1", '
                                      '"make_kwargs": {"disable_env_checker": true}}'],
    "package.module:ID": ["--env", "legacy_envs:OldPointMass-v0", "--vector-mode", "async"],
}


def cli(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=TESTS)
    return subprocess.run([sys.executable, "-m", "ddpg_graph", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def no_traceback(result):
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.mark.parametrize("route", sorted(ID_ROUTES))
def test_id_route_trains_resumes_evaluates_records_and_exports(route, tmp_path, capsys):
    options = SMALL + ID_ROUTES[route]
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    assert main(["train", "--logdir", straight, "--total-steps", "800", *options]) == 0
    capsys.readouterr()
    result = no_traceback(cli("train", "--logdir", resumed, "--total-steps", "500", *options))
    assert result.returncode == 0, result.stderr
    if route == "gym: id":
        assert "note: gym:Pendulum-v1 comes from the old gym package" in result.stderr
    result = no_traceback(cli("train", "--resume", resumed, "--total-steps", "800", "--no-progress"))
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr  # the env pickled: an exact resume
    assert_same_run(straight, resumed)

    video = str(tmp_path / "policy.mp4")
    result = no_traceback(cli("evaluate", "--checkpoint", straight, "--episodes", "1", "--video", video))
    assert result.returncode == 0, result.stderr
    if route == "shimmy-registered id":  # shimmy's v26 entry point takes no render_mode
        assert "warning: no video of shimmy:GymV26Environment-v0" in result.stderr
    elif route == "package.module:ID":  # the old env has no rgb_array rendering
        assert "warning: no video of legacy_envs:OldPointMass-v0" in result.stderr
    else:  # gym 0.26's Pendulum renderer fails under NumPy 2: one line, the evaluation stands
        assert "warning: no video of gym:Pendulum-v1: its rendering failed" in result.stderr

    if route == "package.module:ID":  # (export loads the checkpoint as evaluate just did: once)
        result = no_traceback(cli("export", "--checkpoint", straight, "--out", str(tmp_path / "sm")))
        assert result.returncode == 0, result.stderr
        assert os.path.exists(tmp_path / "sm" / "saved_model.pb")


def gymnasium_object():
    return gymnasium.make("Pendulum-v1", render_mode="rgb_array")


def gym26_object():
    return legacy_envs.old_gym.make("Pendulum-v1", disable_env_checker=True, render_mode="rgb_array")


OBJECT_ROUTES = {"Gymnasium object": gymnasium_object, "gym 0.26 object": gym26_object,
                 "pre-0.26 object, old spaces": legacy_envs.OldPointMass}


@pytest.mark.parametrize("route", sorted(OBJECT_ROUTES))
def test_object_route_trains_resumes_evaluates_records_and_exports(route, tmp_path, capsys):
    make = OBJECT_ROUTES[route]
    config = dg.Config.from_preset("emami", actor_hidden=(32, 32), critic_hidden=(32, 32),
                                   buffer_size=2000, eval_every_steps=400, eval_episodes=1,
                                   checkpoint_every_steps=200, n_envs=2)
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    with dg.train(config.replace(total_steps=800), env=make(), run_dir=straight) as run:
        assert run.config.env_id.startswith("object:")
        returns = dg.evaluate(run.agent, make(), episodes=1)
        video = record_video(run.agent, run.config, str(tmp_path / "v.mp4"), env=make())
        path = dg.export(run.agent, str(tmp_path / "sm"))
    assert len(returns) == 1 and np.isfinite(returns[0]) and os.path.isdir(path)
    if route == "Gymnasium object":
        assert video["frames"] == 201
    else:  # no rgb_array rendering; gym 0.26's Pendulum renderer fails under NumPy 2
        assert video is None and "warning: no video" in capsys.readouterr().err
    dg.train(config.replace(total_steps=500), env=make(), run_dir=resumed).close()
    # resumed without the object: the env comes back from the checkpoint's pickle
    resumed_config = dg.Config.load(os.path.join(resumed, "config.json")).replace(total_steps=800)
    dg.train(resumed_config, run_dir=resumed, resume=True).close()
    assert "warning" not in capsys.readouterr().err
    assert_same_run(straight, resumed)
    # and the command line evaluates it from the pickled evaluation env
    result = no_traceback(cli("evaluate", "--checkpoint", straight, "--episodes", "1"))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("make, message", [
    (legacy_envs.DiscreteOldEnv, "Discrete action space"),
    (legacy_envs.ThreeValueStep, "does not follow the gym API"),
])
def test_bad_env_objects_are_one_line(make, message):
    with pytest.raises(dg.EnvError, match=message):
        dg.make_env(make())


def test_bad_routes_on_the_command_line_are_one_line_and_exit_2(tmp_path, capsys):
    """Without the old gym package, in a fresh process; the others through ``cli.main`` here."""
    script = ("import sys, runpy; sys.modules['gym'] = None; sys.argv = ['ddpg_graph'] + sys.argv[1:];"
              "runpy.run_module('ddpg_graph', run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", script, "train", "--preset", "emami", "--env",
                             "gym:Pendulum-v1", "--logdir", str(tmp_path / "x")], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: gym:Pendulum-v1 needs the old gym package")
    assert not os.path.exists(tmp_path / "x")
    for env_id, message in (("legacy_envs:NoSuchEnv-v9", "cannot make environment"),
                            ("legacy_envs:OldDiscrete-v0", "Discrete action space"),
                            ("legacy_envs:OldThreeValues-v0", "does not follow the gym API")):
        status, lines = cli_here(capsys, "train", "--preset", "emami", "--env", env_id,
                                 "--logdir", str(tmp_path / "y"))
        assert status == 2 and len(lines) == 1, lines
        assert lines[0].startswith("error: ") and message in lines[0], lines
        assert not os.path.exists(tmp_path / "y")


OLD_REGISTRY_ROUTES = {
    "gym:module:ID": lambda: "gym:legacy_envs:OldMass-v0",
    "module:ID, in the old registry": lambda: "legacy_envs:OldMass-v0",
    "gym.make(ID) object": lambda: legacy_envs.old_gym.make("OldMass-v0"),
}


@pytest.mark.parametrize("route", sorted(OLD_REGISTRY_ROUTES))
def test_a_pre_026_env_from_the_old_registry_trains_bootstraps_and_resumes_exactly(route, tmp_path):
    """A 2019 project's env (pre-0.26 API, registered with the old gym registry with
    max_episode_steps=40): its episodes end at the registry's limit as truncations (done 0:
    they bootstrap), and a run stopped mid-episode resumes exactly."""
    make = OLD_REGISTRY_ROUTES[route]
    config = dg.Config.from_preset("emami", total_steps=300, actor_hidden=(16, 16),
                                   critic_hidden=(16, 16), buffer_size=1000,
                                   checkpoint_every_steps=100, eval_every_steps=120, eval_episodes=1)
    straight, stopped = str(tmp_path / "straight"), str(tmp_path / "stopped")
    with dg.train(config, env=make(), run_dir=straight) as run:
        assert run.history.column("length") == [40] * 7
        assert not run.buffer.storage["done"][:300].any()  # time limits are not terminals
        expected = run.agent.get_weights()
    with dg.train(config, env=make(), run_dir=stopped, callbacks=[dg.StopAtStep(130)]) as run:
        assert run.step == 130
    own = dg.Config.load(os.path.join(stopped, "config.json"))
    with dg.train(own, run_dir=stopped, resume=True) as run:
        resumed = run.agent.get_weights()
    assert_same_run(straight, stopped)
    for name in expected:
        np.testing.assert_array_equal(expected[name], resumed[name], err_msg=name)


def test_an_old_gym_env_class_in_gymnasiums_registry_is_one_line():
    with pytest.raises(dg.EnvError, match="OldMass is an old gym.Env: register it with the old "
                                          "package"):
        dg.make_env("legacy_envs:OldMassInGymnasium-v0")
