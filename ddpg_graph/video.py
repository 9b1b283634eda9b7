"""MP4 videos of a policy, from the env's ``rgb_array`` frames, encoded with OpenCV."""
from __future__ import annotations

import numpy as np

from .errors import UserError


def record_policy(agent, env, path: str, episodes: int = 1) -> dict:
    """Runs ``episodes`` noise-free episodes of ``agent`` on ``env`` (made with
    ``render_mode="rgb_array"``) and writes every frame to ``path``; returns the frame count,
    frame size and episode returns."""
    import cv2
    fps = float(env.metadata.get("render_fps") or 30)
    writer, frames, returns = None, 0, []
    try:
        for _ in range(episodes):
            obs, _ = env.reset()
            total, finished = 0.0, False
            while True:
                frame = env.render()
                if frame is None:
                    raise UserError("the environment renders no rgb_array frames")
                if writer is None:
                    height, width = frame.shape[:2]
                    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                             (width, height))
                    if not writer.isOpened():
                        raise UserError(f"cannot write video {path}")
                writer.write(np.ascontiguousarray(frame[:, :, ::-1]))  # RGB -> BGR
                frames += 1
                if finished:
                    break
                obs, reward, terminated, truncated, _ = env.step(agent.act(obs))
                total += float(reward)
                finished = terminated or truncated
            returns.append(total)
    finally:
        if writer is not None:
            writer.release()
    return {"path": path, "frames": frames, "size": (width, height), "returns": returns}
