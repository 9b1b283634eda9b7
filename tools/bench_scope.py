"""Training throughput with the oscilloscope off and in file mode: ``python tools/bench_scope.py``.

Runs the same short training (preset, steps) alternately without and with the scope,
``--repeat`` times each, and prints the median env steps per second and the slowdown, and
the slowdown of each off/on pair (this machine's speed drifts by 10-20% from minute to
minute, so adjacent pairs are the fairer comparison).
"""
import argparse
import os
import statistics
import tempfile
import time

from ddpg_graph.entry import load_tensorflow


def steps_per_second(preset: str, steps: int, scope: str, directory: str):
    """(wall-clock steps/s, CPU-time steps/s over all threads) of one short run."""
    from ddpg_graph.config import Config
    from ddpg_graph.runner import Trainer
    config = Config.from_preset(preset, total_steps=steps, scope=scope, eval_every_steps=0,
                                checkpoint_every_steps=0)
    trainer = Trainer(config, directory, progress=False)
    start, cpu = time.perf_counter(), time.process_time()
    trainer.run()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    trainer.close()
    return steps / elapsed, steps / cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="canton")
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    load_tensorflow()
    rates = {"off": [], "file": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            for scope in ("off", "file"):
                rates[scope].append(steps_per_second(args.preset, args.steps, scope,
                                                     os.path.join(tmp, f"{scope}{i}")))
    for kind, index in (("wall clock", 0), ("CPU time", 1)):
        off = statistics.median(r[index] for r in rates["off"])
        on = statistics.median(r[index] for r in rates["file"])
        pairs = sorted(100 * (1 - b[index] / a[index]) for a, b in zip(rates["off"], rates["file"]))
        print(f"{args.preset}, {args.steps} steps x {args.repeat}, {kind}: scope off {off:.0f} "
              f"steps/s, scope file {on:.0f} steps/s, slowdown {100 * (1 - on / off):.1f}% "
              f"(per off/on pair: median {statistics.median(pairs):.1f}%, "
              f"range {pairs[0]:.1f}% to {pairs[-1]:.1f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
