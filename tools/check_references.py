"""Check every preset against its reference curve with fresh seeds (long; not a test).

    python tools/check_references.py [--presets emami,canton] [--seeds 5-6] [--jobs 2]

Trains each preset once per seed (seeds not used to build the references), checks each run
with the reference rule and prints a table: last-10 mean, verdict and wall time per run,
and per preset the median and range of the final returns. Exit status 1 if any run fails.
"""
import argparse
import os
import statistics

from ddpg_graph.cli import quiet_tensorflow
from ddpg_graph.parallel import REPO, parse_seeds, run_seeds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", help="comma-separated (default: every preset with a reference)")
    parser.add_argument("--seeds", default="5-6")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs-dir", default=os.path.join(REPO, "runs", "checks"))
    args = parser.parse_args(argv)
    quiet_tensorflow()
    from ddpg_graph.history import History
    from ddpg_graph.reference import REFERENCE_DIR, Reference, compare

    presets = args.presets.split(",") if args.presets else sorted(
        f[:-4] for f in os.listdir(REFERENCE_DIR) if f.endswith(".csv"))
    seeds, all_passed, lines = parse_seeds(args.seeds), True, []
    for preset in presets:
        reference = Reference.load(preset)
        results = run_seeds(preset, seeds, args.runs_dir, args.jobs)
        finals = []
        for seed in seeds:
            result = results[seed]
            if result["returncode"]:
                lines.append(f"| {preset} | {seed} | run failed | | {result['seconds']:.0f} |")
                all_passed = False
                continue
            history = History.load(os.path.join(result["run_dir"], "history.csv"))
            verdict = compare(history, reference)
            finals.append(history.last_mean())
            all_passed &= verdict.passed
            lines.append(f"| {preset} | {seed} | {history.last_mean():.1f} | "
                         f"{'pass' if verdict.passed else 'FAIL'} "
                         f"({100 * verdict.inside_fraction:.0f}% inside) | {result['seconds']:.0f} |")
        if finals:
            lines.append(f"| {preset} | median (range) | {statistics.median(finals):.1f} "
                         f"({min(finals):.1f} to {max(finals):.1f}) | | |")
    print("| preset | seed | last-10 mean return | check | wall time (s) |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(lines))
    return 0 if all_passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
