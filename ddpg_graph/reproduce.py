"""The one code path behind every ``reproduce/*.py`` script: preset, run, report.

A script is ``raise SystemExit(reproduce.main("emami", __doc__))``.
"""
from __future__ import annotations

import argparse
import math
import os

from . import cli
from .reference import REFERENCE_DIR, Reference, compare, plot

# What a reproduction must reach besides its reference curve: last-10-episode mean return.
TARGETS = {"emami": -200.0, "canton": -250.0}


def main(preset: str, description: str = None, argv=None) -> int:
    cli.quiet_tensorflow()
    return cli.run_safely(_reproduce, preset, description, argv)


def _reproduce(preset: str, description: str, argv) -> int:
    parser = cli.Parser(description=description,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_run_options(parser)
    args = parser.parse_args(argv)
    from .evaluation import evaluate
    import numpy as np

    trainer, run_dir = cli.make_trainer(preset, args)
    config = trainer.config
    print(f"{preset}: {config.env_id}, {config.total_steps} steps, seed {config.seed}")
    print(f"TensorBoard: tensorboard --logdir {os.path.join(run_dir, 'tb')}")
    try:
        history = trainer.run()
        final_eval = float(np.mean(evaluate(trainer.agent, trainer.eval_env, 10)))
        video = cli.record_video(trainer.agent, config, os.path.join(run_dir, "policy.mp4"))
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
    return 0 if passed else 1
