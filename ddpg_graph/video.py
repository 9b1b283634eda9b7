"""MP4 videos of a policy, from the env's ``rgb_array`` frames, encoded with OpenCV.

The policy's episode runs in the calling process (it needs TensorFlow); its frames are drawn
in a child process that never imports TensorFlow, by replaying the episode's actions on the
env as it was pickled just before the episode. Renderers that share the process with
TensorFlow can crash it (MuJoCo's EGL and OSMesa renderers segfault in Mesa's llvmpipe when
TensorFlow is loaded); in a child, a crash costs the video alone and gets one warning line.
An env that does not pickle is rendered in this process instead. Without a screen, the child
renders MuJoCo with EGL unless ``MUJOCO_GL`` says otherwise.

``python -m ddpg_graph.video JOB`` is the child: ``JOB`` is a pickle of ``env`` (bytes from
``envs.dumps``), ``actions`` (one list of actions per episode), ``path`` and ``fps``; it
prints the result as one JSON line, or one ``error:`` line and exits 1.
"""
from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import tempfile

import numpy as np

from . import envs, opencv
from .errors import EnvError, first_line
from .seeds import Seeds


class RenderError(EnvError):
    """The env could not be rendered to a video (the policy's run itself stands)."""


def record_policy(agent, env, path: str, episodes: int = 1) -> dict:
    """Runs ``episodes`` noise-free episodes of ``agent`` on ``env`` (made with
    ``render_mode="rgb_array"``) and writes their frames to ``path``; returns the frame count,
    frame size and episode returns. Raises ``RenderError`` when no video could be made."""
    fps = float(env.metadata.get("render_fps") or 30)
    start = envs.dumps_if_loadable(env)  # None: render here
    actions, returns = [], []
    for _ in range(episodes):
        obs, _ = env.reset()
        actions.append([])
        total, finished = 0.0, False
        while not finished:
            action = agent.act(obs)
            actions[-1].append(action)
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            finished = terminated or truncated
        returns.append(total)
    if start is None:
        result = render_actions(env, actions, path, fps)
    else:
        result = _render_in_child(start, actions, path, fps)
    return dict(result, returns=returns)


def render_actions(env, actions, path: str, fps: float) -> dict:
    """Resets ``env`` once per list in ``actions``, steps through the list and writes every
    frame (the reset's, then one per step) to the MP4 file ``path``."""
    cv2 = opencv.cv2()
    writer, frames, size = None, 0, None
    try:
        for episode in actions:
            env.reset()
            for step in range(len(episode) + 1):
                frame = env.render()
                if frame is None:
                    raise RenderError("the environment renders no rgb_array frames")
                if writer is None:
                    size = (frame.shape[1], frame.shape[0])
                    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
                    if not writer.isOpened():
                        raise RenderError(f"cannot write video {path}")
                writer.write(np.ascontiguousarray(frame[:, :, ::-1]))  # RGB -> BGR
                frames += 1
                if step < len(episode):
                    env.step(episode[step])
    finally:
        if writer is not None:
            writer.release()
    return {"path": path, "frames": frames, "size": size}


def _render_in_child(env_bytes: bytes, actions, path: str, fps: float) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as job:
        pickle.dump({"env": env_bytes, "actions": actions, "path": path, "fps": fps}, job)
    try:
        # the child imports what the env's pickle names from where this process does
        child_env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        if not child_env.get("DISPLAY"):
            child_env.setdefault("MUJOCO_GL", "egl")  # MuJoCo's default (GLFW) needs a screen
        done = subprocess.run([sys.executable, "-m", "ddpg_graph.video", job.name],
                              capture_output=True, text=True, env=child_env)
    finally:
        os.unlink(job.name)
    lines = done.stdout.strip().splitlines()
    if lines and lines[-1].startswith("{"):
        return json.loads(lines[-1])  # (a renderer that aborts at exit has written it all)
    if os.path.exists(path):
        os.unlink(path)  # a partial file is no video
    if done.returncode < 0:
        raise RenderError(f"its renderer crashed ({signal.Signals(-done.returncode).name})")
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    raise RenderError(errors[-1][len("error: "):] if errors else
                      f"the renderer exited with status {done.returncode}")


def _child(job_path: str) -> int:
    with open(job_path, "rb") as f:
        job = pickle.load(f)
    env = None
    try:
        env = envs.loads(job["env"])
        result = render_actions(env, job["actions"], job["path"], job["fps"])
    except Exception as exc:  # the env's own rendering code: its first line is the message
        message = str(exc) if isinstance(exc, RenderError) else \
            f"its rendering failed: {type(exc).__name__}: {first_line(exc)}"
        print(f"error: {message}", file=sys.stderr)
        return 1
    finally:
        if env is not None:
            envs.close(env)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))


def record_video(agent, config, path: str, env=None) -> dict:
    """One noise-free episode of ``agent`` rendered to the MP4 file ``path``: on ``env`` if
    given (it must render ``rgb_array`` frames), else on a new ``config.env_id`` env. An env
    that cannot render gets one warning line and no video (None), not a failed run."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # pygame renders off-screen
    owned = env is None
    try:
        if owned:
            if config.env_id.startswith("object:"):
                raise EnvError("it was a Python env object; record from Python with an env made "
                               "with render_mode='rgb_array'")
            env = envs.make_env(config.env_id, Seeds(config.seed).eval_env, config.env_kwargs,
                           render_mode="rgb_array")
        if getattr(env, "render_mode", None) != "rgb_array":
            raise EnvError("its render_mode is not 'rgb_array'")
        return record_policy(agent, env, path)
    except EnvError as exc:
        print(f"warning: no video of {config.env_id}: {exc}", file=sys.stderr)
        return None
    except Exception as exc:  # the env's own rendering code failed: the run stands
        print(f"warning: no video of {config.env_id}: its rendering failed: "
              f"{type(exc).__name__}: {first_line(exc)}",
              file=sys.stderr)
        return None
    finally:
        if owned and env is not None:
            envs.close(env)
