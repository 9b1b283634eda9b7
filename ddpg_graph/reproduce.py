"""The one code path behind every ``reproduce/*.py`` script: preset, run, report.

A script is ``raise SystemExit(reproduce.main("emami", __doc__))``.
"""
from __future__ import annotations

import argparse
import math
import os

from . import cli

# What each reproduction must reach: mean return of its last 10 training episodes.
TARGETS = {"emami": -200.0, "canton": -250.0}


def main(preset: str, description: str = None, argv=None) -> int:
    cli.quiet_tensorflow()
    return cli.run_safely(_reproduce, preset, description, argv)


def _reproduce(preset: str, description: str, argv) -> int:
    parser = cli._Parser(description=description,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_run_options(parser)
    args = parser.parse_args(argv)
    from .runner import evaluate
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
    print(f"policy video: {video['path']} ({video['frames']} frames)")
    last10 = history.last_mean("return", 10)
    elapsed = history.rows[-1]["wall_time"] if len(history) else math.nan
    print(f"episodes: {len(history)}, wall time {elapsed:.0f} s")
    print(f"last 10 training episodes, mean return: {last10:.1f}")
    print(f"10 noise-free evaluation episodes, mean return: {final_eval:.1f}")
    target = TARGETS.get(preset)
    if target is not None:
        verdict = "reached" if last10 >= target else "NOT reached"
        print(f"target (last-10 mean >= {target:.0f}): {verdict}")
    print(f"run directory: {run_dir}")
    return 0 if target is None or last10 >= target else 1
