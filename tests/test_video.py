"""`evaluate --video` renders the noise-free policy to an MP4 that decodes."""
import json

import numpy as np
import pytest

import toy_envs
from conftest import decode_video, small_config
from ddpg_graph.agent import Agent
from ddpg_graph.cli import main
from ddpg_graph.video import record_video
from ddpg_graph.config import Config
from ddpg_graph.runner import Trainer


def test_evaluate_writes_a_policy_video(tmp_path, capsys):
    config = Config.from_preset("canton", total_steps=400, scope="off", eval_every_steps=0,
                                checkpoint_every_steps=0)
    trainer = Trainer(config, str(tmp_path / "run"), progress=False)
    trainer.run()
    trainer.close()
    video = tmp_path / "policy.mp4"
    assert main(["evaluate", "--checkpoint", str(tmp_path / "run"), "--episodes", "1",
                 "--video", str(video)]) == 0
    assert f"video: {video} (201 frames)" in capsys.readouterr().out
    frames, fps = decode_video(video)
    assert len(frames) == 201  # the reset frame and 200 steps
    assert all(frame.shape == (500, 500, 3) for frame in frames)
    assert abs(fps - 30) < 1e-6


def test_frames_are_drawn_where_tensorflow_is_not_loaded(tmp_path, capsys):
    """The toy env's renderer crashes any process that has imported TensorFlow."""
    config = small_config(env_id="object:RenderingEnv")
    agent = Agent(config, 2, np.array([-1.0]), np.array([1.0]), seed=1)
    video = tmp_path / "toy.mp4"
    result = record_video(agent, config, str(video), env=toy_envs.RenderingEnv())
    assert capsys.readouterr().err == ""
    assert result["frames"] == 7 and result["size"] == [8, 8]  # the reset frame and 6 steps
    frames, fps = decode_video(video)
    assert len(frames) == 7 and abs(fps - 10) < 1e-6
    np.testing.assert_allclose([f.mean() for f in frames], 40 * np.arange(7), atol=3)

    crashing = tmp_path / "crash.mp4"
    assert record_video(agent, config, str(crashing),
                        env=toy_envs.RenderingEnv(crash_always=True)) is None
    assert capsys.readouterr().err.splitlines() == [
        "warning: no video of object:RenderingEnv: its renderer crashed (SIGSEGV)"]
    assert not crashing.exists()
    agent.close()


def test_mujoco_video_renders_apart_from_tensorflow(tmp_path, capsys, monkeypatch):
    """MuJoCo's EGL renderer segfaults in a process that has TensorFlow loaded; without a
    screen and without MUJOCO_GL, the child picks EGL itself."""
    pytest.importorskip("mujoco")
    monkeypatch.delenv("MUJOCO_GL", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    config = Config.from_preset("emami", env_id="InvertedPendulum-v5", total_steps=300,
                                actor_hidden=(16, 16), critic_hidden=(16, 16), buffer_size=1000,
                                eval_every_steps=0, checkpoint_every_steps=0)
    with Trainer(config, str(tmp_path / "run"), progress=False) as trainer:
        trainer.run()
    video = tmp_path / "policy.mp4"
    assert main(["evaluate", "--checkpoint", str(tmp_path / "run"), "--episodes", "1",
                 "--video", str(video), "--json"]) == 0
    out = capsys.readouterr()
    result = json.loads(out.out)
    assert "warning" not in out.err, out.err
    frames, _ = decode_video(video)
    assert len(frames) == result["video"]["frames"] > 1
    assert frames[0].shape == (480, 480, 3) and frames[0].mean() > 1  # not a blank frame


def test_a_video_that_cannot_be_written_is_one_line_of_ours(tmp_path, capfd):
    """OpenCV logs its own "[ WARN:0@...]" lines around a writer it cannot open."""
    config = small_config(env_id="object:RenderingEnv")
    agent = Agent(config, 2, np.array([-1.0]), np.array([1.0]), seed=1)
    path = str(tmp_path / "policy.txt")  # no video container for this name
    assert record_video(agent, config, path, env=toy_envs.RenderingEnv()) is None
    agent.close()
    assert capfd.readouterr().err.splitlines() == [
        f"warning: no video of object:RenderingEnv: cannot write video {path}"]
