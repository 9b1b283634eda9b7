"""Build a preset's reference reward curve from several seeds.

    python tools/make_reference.py --preset canton --seeds 0-4 [--address ADDRESS]

Runs the seeds as a sweep (``python -m ddpg_graph sweep``: one trial per seed, one
TensorFlow thread each, on a local Ray instance or the cluster at ``--address``) under
``--runs-dir/PRESET`` (the same command again resumes unfinished seeds and skips finished
ones), then writes ``reproduce/references/PRESET.csv`` (per episode: median, 10th and 90th
percentile, the tutorial's published returns) with the versions and machine in its header,
and ``reproduce/references/PRESET.png``.
"""
import argparse
import os
import sys
import time

from ddpg_graph.entry import load_tensorflow, run_safely

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", required=True)
    parser.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,2,5 (default 0-4)")
    parser.add_argument("--address", help="a Ray cluster (default: a local Ray instance)")
    parser.add_argument("--runs-dir", default=os.path.join(REPO, "runs", "references"))
    parser.add_argument("--output", help="CSV to write (default reproduce/references/PRESET.csv)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="config override for every run (KEY=VALUE)")
    args = parser.parse_args(argv)
    load_tensorflow()
    return run_safely(build, args)


def build(args) -> int:
    from ddpg_graph import reference
    from ddpg_graph.history import History
    from ddpg_graph.sweep import sweep

    started = time.time()
    out, rows = sweep(args.preset, args.seeds, out=os.path.join(args.runs_dir, args.preset),
                      address=args.address, overrides=args.overrides)
    failed = [row for row in rows if row["status"] != "finished"]
    if failed:
        print(f"error: {', '.join(r['trial'] for r in failed)} did not finish; see "
              f"{os.path.join(out, 'summary.csv')}", file=sys.stderr)
        return 1
    histories = [History.load(os.path.join(out, row["trial"], "history.csv")) for row in rows]
    run_times = [h.rows[-1]["wall_time"] for h in histories]  # summed over resumed sessions
    meta = {"preset": args.preset, "seeds": args.seeds,
            "wall_time_s": f"{min(run_times):.0f} to {max(run_times):.0f} per run "
                           f"(as a sweep; this call {time.time() - started:.0f})"}
    ref = reference.build(histories, meta, reference.PUBLISHED.get(args.preset, ()))
    output = args.output or os.path.join(reference.REFERENCE_DIR, f"{args.preset}.csv")
    ref.save(output)
    reference.plot(output[:-4] + ".png", None, ref, title=f"{args.preset}: reference")
    print(f"wrote {output}: {len(ref)} episodes; last-10 mean per seed: "
          + ", ".join(f"{h.last_mean():.1f}" for h in histories))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
