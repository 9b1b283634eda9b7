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
import sys
import time

from ddpg_graph.cli import quiet_tensorflow
from ddpg_graph.parallel import REPO, parse_seeds, run_seeds


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
    from ddpg_graph import reference
    from ddpg_graph.history import History

    seeds = parse_seeds(args.seeds)
    started = time.time()
    results = run_seeds(args.preset, seeds, args.runs_dir, args.jobs, args.overrides)
    failed = [seed for seed, r in results.items() if r["returncode"]]
    if failed:
        print(f"error: seeds {failed} failed; see their .log files in {args.runs_dir}", file=sys.stderr)
        return 1
    histories = [History.load(os.path.join(results[s]["run_dir"], "history.csv")) for s in seeds]
    run_times = [h.rows[-1]["wall_time"] for h in histories]  # summed over resumed sessions
    meta = {"preset": args.preset, "seeds": args.seeds,
            "wall_time_s": f"{min(run_times):.0f} to {max(run_times):.0f} per run "
                           f"({args.jobs} at a time; this call {time.time() - started:.0f})"}
    ref = reference.build(histories, meta, reference.PUBLISHED.get(args.preset, ()))
    output = args.output or os.path.join(reference.REFERENCE_DIR, f"{args.preset}.csv")
    ref.save(output)
    reference.plot(output[:-4] + ".png", None, ref, title=f"{args.preset}: reference")
    print(f"wrote {output}: {len(ref)} episodes; last-10 mean per seed: "
          + ", ".join(f"{h.last_mean():.1f}" for h in histories))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
