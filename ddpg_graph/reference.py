"""Reference reward curves: build them from seeded runs, store them, check a run against one.

A reference is, per episode, the median return across seeds and a band (10th to 90th
percentile), plus the tutorial's own published returns where it printed them. The rule a
run must pass (``compare``):

1. its return, smoothed by a centred moving average over ``SMOOTH`` episodes, lies inside
   the band (also smoothed), widened on each side by ``WIDEN`` times the band's width plus
   ``FLOOR`` (in return units, so a band narrowed to a line still admits noise), for at
   least ``INSIDE`` of the episodes the two have in common; and
2. its mean return over the last 10 of those episodes is at least the widened band's lower
   edge (the 10th percentile less the same margin), averaged over the same episodes.

The final condition uses the widened edge, like the first: with the bare 10th percentile of
a 5-seed reference, unchanged code failed 3 of 6 fresh ``morvan`` seeds.
"""
from __future__ import annotations

import csv
import math
import os
import platform
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from . import __version__
from .errors import UserError
from .history import History

SMOOTH, WIDEN, FLOOR, INSIDE = 10, 0.5, 20.0, 0.8
REFERENCE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "reproduce", "references")

# Returns the tutorials themselves printed, by preset (episode 0 first).
PUBLISHED: Dict[str, List[float]] = {
    # sezan92's Keras notebook, episodes 0-22 of its printed training log
    "keras_mountaincar": [-121.8, -118.7, -162.0, -87.6, -96.4, -143.7, -38.4, 76.1, 78.3, -0.02,
                          48.1, 54.8, 79.4, 83.0, 83.2, -48.2, 87.3, 32.6, 84.2, 89.8, 76.3,
                          58.3, 81.0],
}


@dataclass
class Reference:
    median: np.ndarray
    low: np.ndarray  # 10th percentile
    high: np.ndarray  # 90th percentile
    seeds: int
    published: np.ndarray = field(default_factory=lambda: np.array([]))
    meta: Dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.median)

    def prefix(self, episodes: int) -> "Reference":
        return Reference(self.median[:episodes], self.low[:episodes], self.high[:episodes],
                         self.seeds, self.published[:episodes], dict(self.meta))

    # -- files --------------------------------------------------------------------------
    def save(self, path: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", newline="") as f:
            for key, value in self.meta.items():
                f.write(f"# {key}: {value}\n")
            writer = csv.writer(f)
            writer.writerow(["episode", "median", "p10", "p90", "published"])
            for i in range(len(self)):
                published = self.published[i] if i < len(self.published) else math.nan
                writer.writerow([i, _fmt(self.median[i]), _fmt(self.low[i]), _fmt(self.high[i]),
                                 "" if math.isnan(published) else _fmt(published)])

    @classmethod
    def load(cls, name_or_path: str) -> "Reference":
        path = name_or_path if name_or_path.endswith(".csv") else \
            os.path.join(REFERENCE_DIR, f"{name_or_path}.csv")
        if not os.path.exists(path):
            raise UserError(f"no reference curve {name_or_path!r} (looked for {path})")
        meta, rows = {}, []
        try:
            with open(path, newline="") as f:
                lines = [line for line in f]
            for line in lines:
                if line.startswith("#"):
                    key, _, value = line[1:].partition(":")
                    meta[key.strip()] = value.strip()
            for record in csv.DictReader(line for line in lines if not line.startswith("#")):
                rows.append(record)
            columns = {k: np.array([float(r[k]) if r[k] else math.nan for r in rows])
                       for k in ("median", "p10", "p90", "published")}
        except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
            raise UserError(f"unreadable reference curve {path}: {exc}") from None
        if not rows:
            raise UserError(f"reference curve {path} has no episodes")
        for key in ("median", "p10", "p90"):
            bad = np.nonzero(~np.isfinite(columns[key]))[0]
            if len(bad):
                raise UserError(f"reference curve {path}: {key} of episode {bad[0]} is "
                                f"{columns[key][bad[0]]}, not a finite number")
        published = columns["published"]
        published = published[:np.max(np.nonzero(~np.isnan(published))[0]) + 1] \
            if np.any(~np.isnan(published)) else np.array([])
        return cls(columns["median"], columns["p10"], columns["p90"],
                   int(meta.get("seeds_count", 0) or 0), published, meta)


def build(histories: Sequence[History], meta: Dict[str, str] = None,
          published: Sequence[float] = ()) -> Reference:
    """Median and 10th-90th percentile band per episode, over the episodes all runs have."""
    if not histories:
        raise UserError("no runs to build a reference from")
    length = min(len(h) for h in histories)
    returns = np.array([h.column("return")[:length] for h in histories], float)
    low, median, high = np.percentile(returns, [10, 50, 90], axis=0)
    info = {"made": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "seeds_count": str(len(histories)),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.processor() or 'cpu'}",
            "versions": versions()}
    info.update(meta or {})
    return Reference(median, low, high, len(histories), np.asarray(published, float), info)


def versions() -> str:
    import gymnasium
    import tensorflow as tf  # (the versions a curve was made with; compare needs neither)
    return (f"ddpg_graph {__version__}, tensorflow {tf.__version__}, numpy {np.__version__}, "
            f"gymnasium {gymnasium.__version__}, python {platform.python_version()}")


@dataclass
class Verdict:
    passed: bool
    inside_fraction: float
    final_mean: float
    final_floor: float
    episodes: int

    def describe(self) -> str:
        word = "PASS" if self.passed else "FAIL"
        return (f"{word}: smoothed return inside the widened band for "
                f"{100 * self.inside_fraction:.0f}% of {self.episodes} episodes (needs "
                f"{100 * INSIDE:.0f}%); last-10 mean {self.final_mean:.1f} vs widened band floor "
                f"{self.final_floor:.1f}")


def smooth(values: np.ndarray, window: int = SMOOTH) -> np.ndarray:
    """Centred moving average; the window shrinks at both ends."""
    values = np.asarray(values, float)
    out = np.empty_like(values)
    half = window // 2
    for i in range(len(values)):
        out[i] = values[max(0, i - half):i + half + 1].mean()
    return out


def margin(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """How far the band [low, high] is widened on each side: ``WIDEN`` widths plus ``FLOOR``."""
    return WIDEN * (high - low) + FLOOR


def compare(history: History, reference: Reference) -> Verdict:
    n = min(len(history), len(reference))
    if n == 0:
        raise UserError("nothing to compare: the run has no finished episode")
    returns = np.array(history.column("return")[:n], float)
    run = smooth(returns)
    low, high = smooth(reference.low[:n]), smooth(reference.high[:n])
    widen = margin(low, high)
    inside = float(np.mean((run >= low - widen) & (run <= high + widen)))
    last = slice(max(0, n - 10), n)
    final_low, final_high = reference.low[last], reference.high[last]
    final_mean = float(returns[last].mean())
    final_floor = float((final_low - margin(final_low, final_high)).mean())
    return Verdict(inside >= INSIDE and final_mean >= final_floor, inside, final_mean,
                   final_floor, n)


def plot(path: str, history: Optional[History], reference: Reference, title: str = "") -> str:
    """``curve.png``: the run (raw and smoothed), the reference median and band, and the
    tutorial's published returns where they exist."""
    import matplotlib  # (heavy: only for plots)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 4.5))
    episodes = np.arange(len(reference))
    ax.fill_between(episodes, reference.low, reference.high, color="tab:blue", alpha=0.2,
                    label=f"reference 10-90% ({reference.seeds} seeds)")
    ax.plot(episodes, reference.median, color="tab:blue", label="reference median")
    if history is not None and len(history):
        returns = np.array(history.column("return"), float)
        ax.plot(returns, color="tab:orange", alpha=0.3, linewidth=0.8)
        ax.plot(smooth(returns), color="tab:orange", label="this run (smoothed)")
    if len(reference.published):
        ax.plot(np.arange(len(reference.published)), reference.published, "k.", markersize=6,
                label="the tutorial's published returns")
    ax.set_xlabel("episode")
    ax.set_ylabel("return")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _fmt(value: float) -> str:
    return f"{value:.4f}"
