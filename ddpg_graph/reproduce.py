"""A tutorial's reproduction: train its preset, evaluate, record, check, report.

Every ``reproduce/*.py`` script is ``python -m ddpg_graph reproduce PRESET`` with its own
docstring; ``reproduce(trainer, run_dir)`` is what that command runs.
"""
from __future__ import annotations

import math
import os

import numpy as np

from .evaluation import evaluate
from .reference import REFERENCE_DIR, Reference, compare, plot
from .video import record_video

# What a reproduction must reach besides its reference curve: last-10-episode mean return.
TARGETS = {"emami": -200.0, "canton": -250.0}


def reproduce(trainer, run_dir: str) -> bool:
    """Trains ``trainer``'s run, evaluates it (10 noise-free episodes), records a video and
    checks the run against its preset's target and reference curve, printing each; returns
    whether it passed."""
    config = trainer.config
    preset = config.preset
    print(f"{preset}: {config.env_id}, {config.total_steps} steps, seed {config.seed}")
    print(f"TensorBoard: tensorboard --logdir {os.path.join(run_dir, 'tb')}")
    try:
        history = trainer.run()
        final_eval = float(np.mean(evaluate(trainer.agent, trainer.eval_env, 10)))
        video = record_video(trainer.agent, config, os.path.join(run_dir, "policy.mp4"))
    finally:
        trainer.close()
    if trainer.scope_sink:
        print(trainer.scope_sink.describe())
    if video:
        print(f"policy video: {video['path']} ({video['frames']} frames)")
    last10 = history.last_mean("return", 10)
    elapsed = history.rows[-1]["wall_time"] if len(history) else math.nan
    print(f"episodes: {len(history)}, wall time {elapsed:.0f} s")
    print(f"last 10 training episodes, mean return: {last10:.1f}")
    print(f"10 noise-free evaluation episodes, mean return: {final_eval:.1f}")
    passed = True
    target = TARGETS.get(preset)
    if target is not None:
        passed = last10 >= target
        print(f"target (last-10 mean >= {target:.0f}): {'reached' if passed else 'NOT reached'}")
    if os.path.exists(os.path.join(REFERENCE_DIR, f"{preset}.csv")):
        reference = Reference.load(preset)
        verdict = compare(history, reference)
        print(f"reference check: {verdict.describe()}")
        print(f"plot: {plot(os.path.join(run_dir, 'curve.png'), history, reference, title=preset)}")
        passed = passed and verdict.passed
    else:
        print(f"no reference curve for {preset} yet (tools/make_reference.py --preset {preset})")
    print(f"run directory: {run_dir}")
    return passed
