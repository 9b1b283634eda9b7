"""Several envs at once: the ``zoo`` preset's learning-phase env steps/s and final evaluation
return at ``n_envs`` 1, 4 and 8, sync and async, on Pendulum-v1 and HalfCheetah-v5, on the
whole machine: ``python tools/bench_vector.py`` (HalfCheetah needs ``pip install
"gymnasium[mujoco]"``).

Each cell is one fresh process (one seed): the ``zoo`` preset as it is (10k random warm-up
steps, then one update per env step: ``gradient_steps`` = n_envs per vector step, in one
``session.run``), 20k env steps, the learning phase timed from step 10,000 to the end by a
callback; then 10 noise-free episodes on one env, reset with the same seeds in every cell.
The cells run one after another, in the table's order. The table goes to
``benchmarks/vector-DATE.{json,md}``.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import CLEAN_ENV, EVAL_SEED, REPO, machine  # noqa: E402

ENVS = ("Pendulum-v1", "HalfCheetah-v5")
COUNTS = (1, 4, 8)
MODES = ("sync", "async")
TIMED_FROM = 10_000


class LearningClock:
    """A trainer callback: the wall time and env step of the first vector step at or past
    ``TIMED_FROM``, and of the last."""

    def __init__(self):
        self.first = self.last = None

    def on_step(self, trainer):
        self.last = (time.perf_counter(), trainer.step)
        if self.first is None and trainer.step >= TIMED_FROM:
            self.first = self.last


def worker(env_id: str, n_envs: int, mode: str, steps: int) -> dict:
    from ddpg_graph.api import evaluate
    from ddpg_graph.config import Config
    from ddpg_graph.runner import Trainer
    config = Config.from_preset("zoo", env_id=env_id, n_envs=n_envs, vector_mode=mode,
                                total_steps=steps, eval_every_steps=0, checkpoint_every_steps=0)
    clock = LearningClock()
    with Trainer(config, progress=False, callbacks=[clock]) as trainer:
        trainer.run()
        (t0, s0), (t1, s1) = clock.first, clock.last
        returns = evaluate(trainer.agent, env_id, episodes=10, seed=EVAL_SEED)
    return {"steps_per_s": (s1 - s0) / (t1 - t0), "eval_return": statistics.mean(returns)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000, help="env steps per run (default 20k)")
    parser.add_argument("--envs", default=",".join(ENVS))
    parser.add_argument("--out", default=os.path.join(REPO, "benchmarks"))
    parser.add_argument("--worker", nargs=3, metavar=("ENV", "N", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        env_id, n, mode = args.worker
        print(json.dumps(worker(env_id, int(n), mode, args.steps)), flush=True)
        return 0
    rows = []
    for env_id in args.envs.split(","):
        for n in COUNTS:
            for mode in MODES:
                started = time.time()
                out = subprocess.run([sys.executable, os.path.abspath(__file__), "--steps",
                                      str(args.steps), "--worker", env_id, str(n), mode],
                                     cwd=REPO, env=CLEAN_ENV, capture_output=True, text=True)
                if out.returncode:
                    sys.stderr.write(out.stderr[-3000:])
                    raise SystemExit(f"error: the {env_id} n_envs={n} {mode} run failed")
                row = dict(env=env_id, n_envs=n, mode=mode, **json.loads(out.stdout.splitlines()[-1]))
                rows.append(row)
                print(f"  {env_id} n_envs={n} {mode}: {row['steps_per_s']:.0f} steps/s, "
                      f"eval {row['eval_return']:.0f} ({time.time() - started:.0f} s)", flush=True)
    table = ["| env | n_envs | mode | env steps/s | eval return |", "| --- | --- | --- | --- | --- |"]
    table += [f"| {r['env']} | {r['n_envs']} | {r['mode']} | {r['steps_per_s']:.0f} | "
              f"{r['eval_return']:.0f} |" for r in rows]
    info = machine()
    text = f"{info['date']}, {info['processor']}, {info['cpus']} CPUs, {args.steps} steps\n\n"
    text += "\n".join(table) + "\n"
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, f"vector-{datetime.date.today().isoformat()}")
    with open(stem + ".json", "w") as f:
        json.dump({"machine": info, "steps": args.steps, "rows": rows}, f, indent=2)
    with open(stem + ".md", "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
