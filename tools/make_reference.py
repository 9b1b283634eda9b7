"""Build a preset's reference reward curve from several seeds.

    python tools/make_reference.py --preset canton --seeds 0-4 [--jobs 2]

Runs each seed as its own process (one TensorFlow thread each, ``--jobs`` at a time) under
``--runs-dir/PRESET/seedN`` (a run already there is resumed, so an interrupted build picks up
where it stopped), then writes ``reproduce/references/PRESET.csv`` (per episode: median, 10th
and 90th percentile, the tutorial's published returns) with the versions and machine in its
header, and ``reproduce/references/PRESET.png``.
"""
import argparse
import os
import subprocess
import sys
import time

from ddpg_graph.cli import quiet_tensorflow

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_seeds(text: str):
    seeds = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        seeds += list(range(int(first), int(last or first) + 1))
    return seeds


def run_command(preset: str, seed: int, run_dir: str, extra):
    command = [sys.executable, "-m", "ddpg_graph", "train", "--no-progress"]
    if os.path.islink(os.path.join(run_dir, "checkpoints", "latest")):
        return command + ["--resume", run_dir]
    return command + ["--preset", preset, "--seed", str(seed), "--logdir", run_dir, "--overwrite",
                      "--set", "intra_op_threads=1", "--set", "inter_op_threads=1", *extra]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", required=True)
    parser.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,2,5 (default 0-4)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (default 2)")
    parser.add_argument("--runs-dir", default=os.path.join(REPO, "runs", "references"))
    parser.add_argument("--output", help="CSV to write (default reproduce/references/PRESET.csv)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="config override for every run (KEY=VALUE)")
    args = parser.parse_args(argv)
    quiet_tensorflow()
    from ddpg_graph.history import History
    from ddpg_graph import reference

    seeds = parse_seeds(args.seeds)
    extra = [x for pair in args.overrides for x in ("--set", pair)]
    pending = [(seed, os.path.join(args.runs_dir, args.preset, f"seed{seed}")) for seed in seeds]
    running, failed, started = [], [], time.time()
    while pending or running:
        while pending and len(running) < args.jobs:
            seed, run_dir = pending.pop(0)
            os.makedirs(os.path.dirname(run_dir), exist_ok=True)
            log = open(run_dir + ".log", "w")
            process = subprocess.Popen(run_command(args.preset, seed, run_dir, extra), cwd=REPO,
                                       stdout=log, stderr=subprocess.STDOUT)
            running.append((seed, run_dir, process, log, time.time()))
        time.sleep(1)
        for item in list(running):
            seed, run_dir, process, log, t0 = item
            if process.poll() is not None:
                log.close()
                running.remove(item)
                status = "done" if process.returncode == 0 else f"FAILED ({process.returncode})"
                print(f"seed {seed}: {status} in {time.time() - t0:.0f} s", flush=True)
                if process.returncode:
                    failed.append(seed)
    if failed:
        print(f"error: seeds {failed} failed; see their .log files in {args.runs_dir}", file=sys.stderr)
        return 1
    histories = [History.load(os.path.join(args.runs_dir, args.preset, f"seed{s}", "history.csv"))
                 for s in seeds]
    meta = {"preset": args.preset, "seeds": args.seeds,
            "wall_time_s": f"{time.time() - started:.0f} for {len(seeds)} runs, {args.jobs} at a time"}
    ref = reference.build(histories, meta, reference.PUBLISHED.get(args.preset, ()))
    output = args.output or os.path.join(reference.REFERENCE_DIR, f"{args.preset}.csv")
    ref.save(output)
    reference.plot(output[:-4] + ".png", None, ref, title=f"{args.preset}: reference")
    finals = [History.last_mean(h) for h in histories]
    print(f"wrote {output}: {len(ref)} episodes; last-10 mean per seed: "
          + ", ".join(f"{f:.1f}" for f in finals))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
