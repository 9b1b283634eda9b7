"""Check every preset against its reference curve with fresh seeds (long; not a test).

    python tools/check_references.py [--presets emami,canton] [--seeds 5-6] [--address ADDRESS]

Trains each preset once per seed (seeds not used to build the references) as a sweep (on a
local Ray instance, or the cluster at ``--address``), checks each run with the reference rule
and prints a table: last-10 mean, verdict and wall time per run, and per preset the median and
range of the final returns. Exit status 1 if any run fails.
"""
import argparse
import os
import statistics

from ddpg_graph.entry import load_tensorflow, run_safely

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", help="comma-separated (default: every preset with a reference)")
    parser.add_argument("--seeds", default="5-6")
    parser.add_argument("--address", help="a Ray cluster (default: a local Ray instance)")
    parser.add_argument("--runs-dir", default=os.path.join(REPO, "runs", "checks"))
    args = parser.parse_args(argv)
    load_tensorflow()
    return run_safely(check, args)


def check(args) -> int:
    from ddpg_graph.history import History
    from ddpg_graph.reference import REFERENCE_DIR, Reference, compare
    from ddpg_graph.sweep import sweep

    presets = args.presets.split(",") if args.presets else sorted(
        f[:-4] for f in os.listdir(REFERENCE_DIR) if f.endswith(".csv"))
    all_passed, lines = True, []
    for preset in presets:
        reference = Reference.load(preset)
        out, rows = sweep(preset, args.seeds, out=os.path.join(args.runs_dir, preset),
                          address=args.address)
        finals = []
        for row in rows:
            if row["status"] != "finished":
                lines.append(f"| {preset} | {row['seed']} | run {row['status']}: {row['error']} | | |")
                all_passed = False
                continue
            history = History.load(os.path.join(out, row["trial"], "history.csv"))
            verdict = compare(history, reference)
            finals.append(history.last_mean())
            all_passed &= verdict.passed
            lines.append(f"| {preset} | {row['seed']} | {history.last_mean():.1f} | "
                         f"{'pass' if verdict.passed else 'FAIL'} "
                         f"({100 * verdict.inside_fraction:.0f}% inside) | {row['wall_time']:.0f} |")
        if finals:
            lines.append(f"| {preset} | median (range) | {statistics.median(finals):.1f} "
                         f"({min(finals):.1f} to {max(finals):.1f}) | | |")
    print("| preset | seed | last-10 mean return | check | wall time (s) |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(lines))
    return 0 if all_passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
