"""``History``: one row per training episode, kept in memory and appended to a CSV file."""
from __future__ import annotations

import csv
import math
import os
from typing import Dict, List, Optional

COLUMNS = ("episode", "step", "return", "length", "qmax", "critic_loss", "actor_loss",
           "q_mean", "eval_return", "wall_time")


class History:
    """Per-episode records: ``episode`` (0-based), ``step`` (env steps so far), ``return``,
    ``length``, ``qmax`` (Emami's: mean over the episode's updates of the batch's max Q),
    ``critic_loss``/``actor_loss``/``q_mean`` (means over the episode's updates; NaN before
    learning starts), ``eval_return`` (noise-free, NaN where no evaluation ran) and
    ``wall_time`` (seconds since the run started)."""

    def __init__(self, path: Optional[str] = None):
        self.rows: List[Dict[str, float]] = []
        self.path = path
        if path and not os.path.exists(path):
            with open(path, "w", newline="") as f:
                csv.writer(f).writerow(COLUMNS)

    def append(self, row: Dict[str, float]) -> None:
        row = {k: row.get(k, math.nan) for k in COLUMNS}
        self.rows.append(row)
        if self.path:
            with open(self.path, "a", newline="") as f:
                csv.writer(f).writerow([_format(row[k]) for k in COLUMNS])

    def column(self, name: str) -> List[float]:
        return [row[name] for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def last_mean(self, name: str = "return", n: int = 10) -> float:
        values = [v for v in self.column(name)[-n:] if not math.isnan(v)]
        return sum(values) / len(values) if values else math.nan

    @classmethod
    def load(cls, path: str) -> "History":
        history = cls()
        with open(path, newline="") as f:
            for record in csv.DictReader(f):
                history.rows.append({k: float(record[k]) if record.get(k) not in (None, "")
                                     else math.nan for k in COLUMNS})
        return history


def _format(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    return "" if math.isnan(value) else repr(float(value))
