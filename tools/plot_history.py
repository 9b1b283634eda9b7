"""Plot the per-episode returns of one or more runs: ``python tools/plot_history.py RUN [RUN ...] -o curve.png``."""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ddpg_graph.history import History  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", nargs="+", help="run directories (each holding history.csv)")
    parser.add_argument("-o", "--output", default="curve.png", help="image to write")
    parser.add_argument("--smooth", type=int, default=10, help="moving-average window in episodes")
    args = parser.parse_args(argv)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for run in args.runs:
        path = os.path.join(run, "history.csv")
        if not os.path.exists(path):
            print(f"error: no history.csv in {run}", file=sys.stderr)
            return 2
        history = History.load(path)
        returns = np.array(history.column("return"))
        ax.plot(returns, alpha=0.3)
        if len(returns) >= args.smooth:
            kernel = np.ones(args.smooth) / args.smooth
            smooth = np.convolve(returns, kernel, mode="valid")
            ax.plot(np.arange(args.smooth - 1, len(returns)), smooth, label=os.path.basename(run.rstrip("/")))
    ax.set_xlabel("episode")
    ax.set_ylabel("return")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.output, dpi=100)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
