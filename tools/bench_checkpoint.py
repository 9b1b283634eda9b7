"""Time and size of a checkpoint whose replay buffer is full: ``python tools/bench_checkpoint.py``.

Fills a Pendulum buffer of ``--transitions`` random transitions (no training), then saves
and restores a full checkpoint a few times and prints the median times and the size.
"""
import argparse
import os
import statistics
import tempfile
import time

import numpy as np

from ddpg_graph.entry import load_tensorflow


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transitions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    load_tensorflow()
    from ddpg_graph.config import Config
    from ddpg_graph.runner import Trainer

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = os.path.join(tmp, "run")
        config = Config.from_preset("emami", buffer_size=args.transitions, total_steps=10 ** 7)
        trainer = Trainer(config, run_dir, progress=False)
        rng = np.random.default_rng(0)
        n = args.transitions
        trainer.buffer.add_batch(rng.standard_normal((n, 3)), rng.standard_normal((n, 1)),
                                 rng.standard_normal(n), np.zeros(n), rng.standard_normal((n, 3)))
        saves, loads = [], []
        for i in range(args.repeat):
            start = time.perf_counter()
            path = trainer.bundle().save(trainer.checkpoint_dir, step=i + 1)
            saves.append(time.perf_counter() - start)
        size = sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
        trainer.close()  # (its lock on the run directory: a resume needs it)
        for _ in range(args.repeat):
            start = time.perf_counter()
            Trainer(config, run_dir, progress=False, resume=True).close()
            loads.append(time.perf_counter() - start)
    print(f"{args.transitions} transitions: checkpoint {size / 2 ** 20:.1f} MiB, "
          f"save {statistics.median(saves):.2f} s, restore (incl. graph build) "
          f"{statistics.median(loads):.2f} s (median of {args.repeat})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
