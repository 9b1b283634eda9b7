"""``History``: one row per training episode, kept in memory and appended to a CSV file."""
from __future__ import annotations

import csv
import math
import os
from typing import Dict, List, Optional

from .errors import CheckpointError

class HistoryError(CheckpointError):
    """A history.csv that cannot be read back as the rows a run wrote."""


COLUMNS = ("episode", "step", "return", "length", "q_max", "td_loss", "actor_loss",
           "q_mean", "eval_return", "wall_time")
# with n_envs > 1, also which training env the episode ran in (0-based)
VECTOR_COLUMNS = COLUMNS + ("env",)
# Columns (and episode statistics) under the names ddpg_graph 0.1.0 gave them: read as the
# new names, so that the runs it wrote still resume.
RENAMED = {"qmax": "q_max", "critic_loss": "td_loss"}


class History:
    """Per-episode records: ``episode`` (0-based), ``step`` (env steps so far), ``return``,
    ``length``, ``q_max`` (Emami's Qmax: mean over the episode's updates of the batch's max
    Q), ``td_loss``/``actor_loss``/``q_mean`` (means over the episode's updates; NaN before
    learning starts), ``eval_return`` (noise-free, NaN where no evaluation ran) and
    ``wall_time`` (seconds since the run started); with ``columns=VECTOR_COLUMNS`` (a run of
    several envs) also ``env``, the training env it ran in."""

    def __init__(self, path: Optional[str] = None, columns=COLUMNS):
        self.rows: List[Dict[str, float]] = []
        self.path = path
        self.columns = tuple(columns)
        if path and not os.path.exists(path):
            with open(path, "w", newline="") as f:
                csv.writer(f).writerow(self.columns)

    def append(self, row: Dict[str, float]) -> None:
        """Adds ``row``; with a file, appends it there too (an ``OSError`` leaves the rows in
        memory as they were)."""
        row = {k: row.get(k, math.nan) for k in self.columns}
        if self.path:
            with open(self.path, "a", newline="") as f:
                csv.writer(f).writerow([_format(row[k]) for k in self.columns])
        self.rows.append(row)

    def sync(self) -> None:
        """Forces the file's rows to disk (with each checkpoint, which counts them)."""
        if self.path:
            fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def column(self, name: str) -> List[float]:
        return [row[name] for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def last_mean(self, name: str = "return", n: int = 10) -> float:
        values = [v for v in self.column(name)[-n:] if not math.isnan(v)]
        return sum(values) / len(values) if values else math.nan

    @classmethod
    def load(cls, path: str, keep: Optional[int] = None, rewrite: bool = False) -> "History":
        """Reads ``path``. ``keep``: only the first ``keep`` rows (a resumed run drops the rows
        written after its checkpoint); ``rewrite``: also cut the file to them, atomically,
        and keep appending to it."""
        history = cls()
        try:
            with open(path, newline="") as f:
                reader = csv.DictReader(f)
                if reader.fieldnames:
                    reader.fieldnames = [RENAMED.get(name, name) for name in reader.fieldnames]
                if "return" not in (reader.fieldnames or ()):
                    raise HistoryError(f"{path} has no return column: not a history.csv")
                if "env" in reader.fieldnames:
                    history.columns = VECTOR_COLUMNS
                for number, record in enumerate(reader, start=2):
                    try:
                        row = {k: _parse(record.get(k)) for k in history.columns}
                    except (ValueError, TypeError):
                        raise HistoryError(f"{path} line {number} is not a row of numbers") from None
                    if not math.isfinite(row["return"]):
                        raise HistoryError(f"{path} line {number}: its return is {row['return']}, "
                                           "not a finite number")
                    history.rows.append(row)
        except FileNotFoundError:
            if keep:
                raise HistoryError(f"{path} is missing") from None
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise HistoryError(f"cannot read {path}: {exc}") from None
        if keep is not None and len(history.rows) < keep:
            raise HistoryError(f"{path} has {len(history.rows)} rows; the checkpoint counts "
                               f"{keep}: it was cut or edited")
        history.rows = history.rows[:keep]
        if rewrite:
            tmp = path + ".tmp"
            with open(tmp, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(history.columns)
                for row in history.rows:
                    writer.writerow([_format(row[k]) for k in history.columns])
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            history.path = path
        return history


def _parse(text: Optional[str]) -> float:
    if text in (None, ""):
        return math.nan
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


def _format(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    return "" if math.isnan(value) else repr(float(value))


class EpisodeStats:
    """Sums of the per-update statistics (``graph.STATS``) over one episode; ``means()`` are
    its history columns (none for an episode without updates: NaN in the history)."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.totals: Dict[str, float] = {}

    def add(self, stats) -> None:
        self.count += 1
        for key, value in stats.items():
            if key in COLUMNS:
                self.totals[key] = self.totals.get(key, 0.0) + float(value)

    def means(self) -> Dict[str, float]:
        return {k: v / self.count for k, v in self.totals.items()} if self.count else {}

    def state_dict(self) -> Dict:
        return {"count": self.count, "totals": dict(self.totals)}

    def load_state_dict(self, state: Dict) -> None:
        self.count = int(state["count"])
        self.totals = {RENAMED.get(k, k): float(v) for k, v in state["totals"].items()}
