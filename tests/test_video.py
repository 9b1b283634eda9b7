"""`evaluate --video` renders the noise-free policy to an MP4 that decodes."""
from conftest import decode_video
from ddpg_graph.cli import main
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
