"""Bad input: one clear line on stderr, exit status 2, no traceback; and what the command
line loads."""
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, run_module

BAD_INPUTS = [
    (["train", "--preset", "nope"], "unknown preset"),
    (["train", "--preset", "emami", "--env", "NoSuchEnv-v0"], "cannot make environment"),
    (["train", "--preset", "emami", "--env", "CartPole-v1"], "Discrete action space"),
    (["train", "--preset", "emami", "--set", "no_such_key=1"], "unknown config key"),
    (["train", "--preset", "emami", "--set", "tau=0"], "tau must be in (0, 1]"),
    (["train", "--preset", "emami", "--set", "tau=1.5"], "tau must be in (0, 1]"),
    (["train", "--preset", "emami", "--set", "matmul_precision=half"], "matmul_precision must be"),
    (["train", "--preset", "emami", "--set", "gradient_steps=-1"], "gradient_steps must be non-negative"),
    (["train", "--preset", "emami", "--set", "n_envs=0"], "n_envs must be at least 1, got 0"),
    (["train", "--preset", "emami", "--set", "train_every=0"], "train_every must be positive"),
    (["train", "--preset", "emami", "--set", "actor_lr=-0.001"], "actor_lr must be positive"),
    (["train", "--preset", "emami", "--set", "critic_lr=-1"], "critic_lr must be positive"),
    (["train", "--preset", "emami", "--set", "batch_size=128", "--set", "buffer_size=64"],
     "must not exceed buffer_size"),
    (["train", "--preset", "emami", "--set", "tau=abc"], "invalid value for tau"),
    (["evaluate", "--checkpoint", "/nonexistent/run"], "no checkpoint"),
    (["export", "--checkpoint", "/nonexistent/run", "--out", "x"], "no checkpoint"),
    (["train", "--preset", "emami", "--env", "gym:NoSuchEnv-v9"], "cannot make environment"),
    (["train", "--preset", "emami", "--env", "no_such_module:Env-v0"], "cannot import"),
    (["train", "--preset", "emami", "--env", "gym:no_such_module:Env-v0"],
     "cannot import 'no_such_module' to register 'Env-v0'"),
    (["export", "--checkpoint", "/nonexistent/run", "--out", "x.pb"], "no checkpoint"),
    (["train"], "--preset"),
    (["train", "--preset", "emami", "--set", "seed=1", "--seed", "2"], "disagree; give one"),
    (["frobnicate"], "invalid choice"),
    (["tune", "--preset", "emami", "--trials", "0"], "--trials and --cpus-per-run must be at least 1"),
    (["tune", "--preset", "emami", "--trials", "2", "--space", "/nonexistent.json"],
     "cannot read the space /nonexistent.json"),
    (["train", "--config", "/nonexistent.json"], "no config at /nonexistent.json"),
    (["train", "--config", "best.json", "--preset", "emami"], "--config is a whole config"),
    (["train", "--preset", "emami", "--env", ":Pendulum-v1"], "needs both parts, got '':'Pendulum-v1'"),
    (["train", "--preset", "emami", "--n-envs", "100000", "--total-steps", "300"],
     "n_envs must be at most 256, got 100,000"),
    (["train", "--preset", "emami", "--n-envs", "200", "--total-steps", "150"],
     "n_envs (200) must not exceed total_steps (150)"),
    (["tune", "--preset", "emami", "--trials", "2", "--set", "total_steps=600"],
     "eval_every_steps (2000) must be positive and at most total_steps (600)"),
]


@pytest.mark.parametrize("args, message", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_gets_one_line_and_exit_2(args, message, tmp_path, monkeypatch, capsys):
    """In this process, through ``cli.main`` (the status ``python -m ddpg_graph`` exits with)."""
    from ddpg_graph.cli import main
    monkeypatch.chdir(tmp_path)
    status = main(args)
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 2, lines
    assert len(lines) == 1, lines
    assert message in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_bad_input_exit_status_from_a_fresh_process(tmp_path):
    result = run_module("train", "--preset", "nope", cwd=str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == ["error: unknown preset 'nope'; choose one of: "
                                                  "canton, emami, keras_mountaincar, morvan, td3, "
                                                  "tf2_article, zoo"]


def test_corrupt_checkpoint_is_refused(tmp_path):
    from ddpg_graph.config import Config
    directory = tmp_path / "ckpt"
    directory.mkdir()
    Config.from_preset("emami").save(str(directory / "config.json"))
    from ddpg_graph.checkpoint import FORMAT_VERSION
    (directory / "meta.json").write_text(json.dumps({
        "format_version": FORMAT_VERSION, "preset": "emami", "env_id": "Pendulum-v0",
        "obs_dim": 3, "action_dim": 1}))
    (directory / "model.ckpt.index").write_bytes(b"not a checkpoint")
    (directory / "model.ckpt.data-00000-of-00001").write_bytes(b"garbage")
    result = run_module("evaluate", "--checkpoint", str(directory))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: cannot restore checkpoint")
    assert (directory / "model.ckpt.index").read_bytes() == b"not a checkpoint"


@pytest.mark.parametrize("command, options", [
    ("train", ("--preset", "--env", "--seed", "--total-steps", "--logdir", "--set", "--overwrite",
               "--n-envs", "--vector-mode")),
    ("evaluate", ("--checkpoint", "--episodes", "--json")),
])
def test_help_documents_every_option(command, options, capsys):
    from ddpg_graph.cli import make_parser
    with pytest.raises(SystemExit) as exit:
        make_parser().parse_args([command, "--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    for option in options:
        assert option in out


def test_config_lists_every_key_with_its_preset_value_and_meaning(capsys):
    import dataclasses
    from ddpg_graph.cli import main
    from ddpg_graph.config import Config
    assert main(["config", "--preset", "morvan"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    keys = [f.name for f in dataclasses.fields(Config)]
    assert [line.split()[0] for line in lines] == keys
    rows = {line.split()[0]: line.split(None, 2) for line in lines}
    assert rows["tau"][1:] == ["0.01", "soft target update rate: theta' <- tau theta + (1 - tau) theta'"]
    assert rows["actor_hidden"][1] == "30" and rows["update_order"][1] == "critic,actor,targets"
    assert all(len(row) == 3 and len(row[2]) > 10 for row in rows.values())  # a meaning each
    assert main(["config", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == Config().to_dict()


# runs the command line in a fresh process and prints, after everything else at exit, whether
# TensorFlow was loaded and how many objects were frozen before the last garbage collection
PROBE = ("import atexit, gc, sys, runpy; atexit.register(lambda: print('tensorflow' in "
         "sys.modules, gc.get_freeze_count() > 0, 'keras' in sys.modules)); "
         "sys.argv = ['ddpg_graph'] + sys.argv[1:]; runpy.run_module('ddpg_graph', run_name='__main__')")


def probe(*args):
    # (without TF_USE_LEGACY_KERAS: this process has it once a test has run cli.main here)
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=REPO, capture_output=True,
                            text=True, timeout=120, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("args", [["--help"], ["config", "--preset", "zoo"],
                                  ["train", "--preset", "emami", "--set", "tau=0"],
                                  ["compare", "/nonexistent", "--reference", "emami"]])
def test_commands_that_build_no_graph_load_no_tensorflow(args):
    status, loaded = probe(*args)
    assert loaded == "False False False", (status, loaded)


def test_a_command_that_builds_a_graph_loads_tensorflow_without_keras_3_and_freezes_at_exit(tmp_path):
    """tf.keras is tf_keras on the command line (Keras 3 never loads), and the interpreter's
    last garbage collection skips the objects alive at exit (``entry.load_tensorflow``)."""
    status, loaded = probe("evaluate", "--checkpoint", str(tmp_path / "none"))
    assert (status, loaded) == (2, "True True False")


def test_a_config_file_lacking_keys_takes_them_from_its_preset(tmp_path):
    """``train --config best.json`` of a cut-down file: the missing keys come from the preset
    it names (emami: 40,000 steps, not the defaults' 50,000); naming none, one line."""
    from ddpg_graph.config import Config
    from ddpg_graph.errors import ConfigError
    from ddpg_graph.launch import run_config
    values = Config.from_preset("emami", tau=0.01).to_dict()
    del values["total_steps"]
    path = tmp_path / "best.json"
    path.write_text(json.dumps(values))
    config = run_config(None, config_file=str(path))
    assert config.total_steps == 40_000 and config.tau == 0.01
    path.write_text(json.dumps(dict(values, preset="custom")))
    with pytest.raises(ConfigError, match="lacks total_steps and names no preset"):
        run_config(None, config_file=str(path))
