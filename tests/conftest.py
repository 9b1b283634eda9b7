"""Shared helpers: small agents in float64 so gradients can be checked exactly."""
import os
import sys

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from ddpg_graph.entry import quiet_tensorflow  # noqa: E402

quiet_tensorflow()

from ddpg_graph.agent import Agent  # noqa: E402
from ddpg_graph.config import Config  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OBS_DIM, ACT_DIM = 3, 2
LOW, HIGH = np.array([-2.0, 0.0]), np.array([2.0, 1.0])  # asymmetric on purpose


def small_config(**overrides):
    values = dict(actor_hidden=(8, 6), critic_hidden=(8, 6), dtype="float64", batch_size=16,
                  buffer_size=1000, learning_starts=16, tau=0.1, actor_lr=1e-2, critic_lr=1e-2,
                  seed=7)
    values.update(overrides)
    return Config(**values)


def unordered_steps(net):
    """The update built again with no ordering (a ``graph.Update``), so that its
    ``critic_step``, ``actor_step`` and ``target_update`` each run one step alone."""
    import tensorflow as tf
    with tf.compat.v1.name_scope("steps"):
        return net.build_update(net.batch, None, ordered=False)


def make_agent(step_ops=False, extend_graph=None, **overrides):
    """A small float64 agent; ``step_ops``: with the unordered single steps of
    ``unordered_steps`` as ``agent.extension``."""
    return Agent(small_config(**overrides), OBS_DIM, LOW, HIGH,
                 extend_graph=unordered_steps if step_ops else extend_graph)


def feed_dict(agent, batch) -> dict:
    """A ``session.run`` feed of ``batch`` (numpy arrays) into ``agent``'s batch placeholders."""
    return {getattr(agent.net.batch, name): batch[name] for name in agent.batch_fields}


def random_batch(rng, n=16, done_fraction=0.25):
    return {
        "s": rng.standard_normal((n, OBS_DIM)),
        "a": rng.uniform(LOW, HIGH, (n, ACT_DIM)),
        "r": rng.standard_normal((n, 1)),
        "done": (rng.random((n, 1)) < done_fraction).astype(np.float64),
        "s2": rng.standard_normal((n, OBS_DIM)),
    }


def run_error(trainer) -> str:
    """The one line ``trainer``'s run stops with (a ``RunError``), the trainer closed."""
    from ddpg_graph.errors import RunError
    with pytest.raises(RunError) as caught:
        trainer.run()
    trainer.close()
    return str(caught.value)


def cli_here(capsys, *args):
    """``cli.main(args)`` in this process (the entry point whose status ``python -m
    ddpg_graph`` exits with, at no TensorFlow start-up): its exit status and stderr lines."""
    from ddpg_graph.cli import main
    status = main(list(args))
    return status, capsys.readouterr().err.strip().splitlines()


def run_module(*args, cwd=REPO, timeout=120):
    """Runs ``python -m ddpg_graph ARGS`` in a subprocess; returns the CompletedProcess."""
    import subprocess
    return subprocess.run([sys.executable, "-m", "ddpg_graph", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd)


@pytest.fixture(scope="session")
def local_ray():
    """One local Ray instance with 2 CPUs for this test process, shared by the sweep and tune
    tests; its address, for a driver in another process (``--address``)."""
    ray = pytest.importorskip("ray")
    from ddpg_graph import pool
    pool.start_ray(num_cpus=2)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def decode_video(path):
    """Every frame of a video file, decoded with OpenCV, and the capture's reported fps."""
    import cv2
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    return frames, capture.get(cv2.CAP_PROP_FPS)
