"""Seed and hyperparameter sweeps on Ray.

Every combination of seeds and grid values is one *trial*: a normal training run in its own
process (a Ray worker that runs nothing else), with its own graph and its own run directory
under the sweep directory (``history.csv``, TensorBoard logs, checkpoints). Without an
address, a local Ray instance uses this machine's cores; with one, the trials run on that
cluster.

The trials run on ``pool.TrialPool`` (Ray tasks, one worker process each). A task runs in
its worker's main thread, so the run's own Ctrl-C and SIGTERM handling saves a checkpoint
when the pool cancels it or a node's shutdown terminates the worker; a trial whose process or
node died is rerun and resumes from its last checkpoint, exactly.

Files in the sweep directory: ``sweep.json`` (the plan: preset, seeds, grid, overrides),
``summary.csv`` (one row per trial, rewritten as trials end), and one directory per trial
holding its run, with ``NAME.json`` beside it (the trial's status and result). Running the same sweep again
skips finished trials and resumes the others.
"""
from __future__ import annotations

import collections
import csv
import itertools
import math
import os
import time
from typing import Dict, List, Optional, Sequence

from .config import Config, parse_overrides
from .errors import ConfigError, Interrupted, UserError
from .pool import (TrialPool, check_reachable, check_resources, claim, default_out, read_json,
                   run_trial, start_ray, stopped_message, write_csv)

# Ray is imported in the functions that use it: a plan is checked, and bad input refused,
# without loading it.

PLAN_FILE = "sweep.json"
SUMMARY_FILE = "summary.csv"
# pool.TRIAL_COLUMNS and what a sweep adds
RESULT_COLUMNS = ("status", "error", "last10_return", "eval_return", "step", "wall_time",
                  "node", "node_ip", "attempts")
MAX_TRIALS = 10_000  # a larger plan is refused: split it over several sweep directories
SUMMARY_EVERY_S = 2.0  # summary.csv is rewritten at most this often while trials end


# -- the plan ---------------------------------------------------------------------------
def parse_seeds(text: str) -> List[int]:
    """``"0-4"`` -> [0, 1, 2, 3, 4]; ``"0,2,5-6"`` -> [0, 2, 5, 6]."""
    seeds = []
    try:
        for part in text.split(","):
            first, _, last = part.strip().partition("-")
            seeds += list(range(int(first), int(last or first) + 1))
    except ValueError:
        raise UserError(f"--seeds expects numbers and ranges such as 0-4 or 0,2,5; got {text!r}") from None
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise UserError(f"--seeds must name distinct non-negative seeds; got {text!r}")
    return seeds


def parse_grid(specs: Sequence[str]) -> Dict[str, List[str]]:
    """``["tau=0.01,0.001", "actor_hidden=64,64;400,300"]`` -> values per key, as text for
    ``--set``. Values are separated by ``;`` when there is one (for values holding commas),
    else by ``,``."""
    grid: Dict[str, List[str]] = {}
    for spec in specs:
        key, sep, text = spec.partition("=")
        if not sep or not key.strip() or not text.strip():
            raise UserError(f"--grid expects key=v1,v2 (or key=v1;v2), got {spec!r}")
        values = [v.strip() for v in text.split(";" if ";" in text else ",") if v.strip()]
        grid.setdefault(key.strip(), []).extend(values)
    return grid


class Trial:
    """One run of the sweep: the grid's values for it (``overrides``, as ``--set`` text) and a
    seed. ``name`` is its directory's name, e.g. ``tau=0.01,seed=3``."""

    def __init__(self, overrides: Dict[str, str], seed: int):
        self.overrides, self.seed = overrides, seed
        parts = [f"{k}={v}" for k, v in overrides.items()] + [f"seed={seed}"]
        self.name = ",".join(parts).replace("/", "_").replace(" ", "")


def plan_trials(seeds: Sequence[int], grid: Dict[str, List[str]]) -> List[Trial]:
    keys = list(grid)
    return [Trial(dict(zip(keys, values)), seed)
            for values in itertools.product(*(grid[k] for k in keys)) for seed in seeds]


def trial_config(preset: str, trial: Trial, overrides: Sequence[str], cpus_per_run: int):
    """The trial's config: the preset, the sweep's ``--set`` overrides, the trial's grid
    values and seed; TensorFlow's thread pools sized to the trial's CPUs unless set."""
    values = {"intra_op_threads": cpus_per_run, "inter_op_threads": cpus_per_run}
    values.update(parse_overrides(overrides))
    values.update(parse_overrides([f"{k}={v}" for k, v in trial.overrides.items()]))
    values["seed"] = trial.seed
    return Config.from_preset(preset, **values)


# -- the driver -------------------------------------------------------------------------
def sweep(preset: str, seeds, grid=None, out: Optional[str] = None, address: Optional[str] = None,
          cpus_per_run: int = 1, max_failures: int = 2, overrides: Sequence[str] = (),
          progress: bool = True) -> tuple:
    """Runs every trial of ``preset`` × ``seeds`` × ``grid`` on Ray; returns the sweep
    directory and the summary rows (also in its ``summary.csv``). ``seeds``: a list or text such as ``"0-9"``; ``grid``:
    ``{"tau": ["0.01", "0.001"]}`` or ``--grid`` texts; ``overrides``: ``--set`` texts for
    every trial. Trials finished by an earlier call with the same plan are not run again."""
    try:
        import ray  # noqa: F401  (is it installed?)
    except ImportError:
        raise UserError("sweeps need Ray: pip install 'ray==2.60.0'") from None
    seeds = parse_seeds(seeds) if isinstance(seeds, str) else list(seeds)
    grid = parse_grid(grid) if isinstance(grid, (list, tuple)) else {
        k: [str(v) for v in vs] for k, vs in (grid or {}).items()}
    if cpus_per_run < 1 or max_failures < 0:
        raise ConfigError("--cpus-per-run must be at least 1 and --max-failures at least 0")
    count = len(seeds) * math.prod(len(v) for v in grid.values())
    if count > MAX_TRIALS:
        raise UserError(f"the plan has {count:,} trials; a sweep holds at most {MAX_TRIALS:,}: "
                        "split it over several --out directories")
    if address:
        check_reachable(address)
    trials = plan_trials(seeds, grid)
    configs = {t.name: trial_config(preset, t, overrides, cpus_per_run) for t in trials}  # validates
    plan = {"preset": preset, "seeds": seeds, "grid": grid, "overrides": list(overrides)}
    out = out or default_out("sweep", preset, plan)
    lock = claim(out, "sweep", PLAN_FILE, plan)
    started = False
    try:
        start_ray(address)
        check_resources(cpus_per_run)
        started = True
        return out, _drive(trials, configs, out, cpus_per_run, max_failures, progress)
    finally:
        lock.close(discard=not started)  # a sweep that never started leaves nothing


def _drive(trials, configs, out, cpus_per_run, max_failures, progress) -> List[dict]:
    from tqdm import tqdm
    rows = {t.name: _pending_row(t) for t in trials}
    to_run = []
    for trial in trials:
        done = read_json(os.path.join(out, trial.name) + ".json") or {}
        if done.get("status") == "finished":
            rows[trial.name].update(done)
        else:
            to_run.append(trial)
    queue = collections.deque(to_run)
    skipped = len(trials) - len(to_run)
    _write_summary(out, rows.values())
    bar = tqdm(total=len(trials), initial=skipped, disable=not progress, unit="trial",
               dynamic_ncols=True, desc="sweep")
    if skipped:
        bar.write(f"{skipped} of {len(trials)} trials finished earlier; not run again")
    _show_best(bar, rows)
    written = time.time()

    def next_trial():
        if not queue:
            return None
        trial = queue.popleft()
        return trial.name, run_trial, (configs[trial.name].to_dict(), os.path.join(out, trial.name))

    def collect(name, result):
        nonlocal written
        row = rows[name]
        row.update(result)
        bar.update(1)
        line = f"{name}: {row['status']}"
        if row["status"] == "finished":
            line += f", last-10 return {row['last10_return']:.1f} on node {row['node']}"
        elif row.get("error"):
            line += f": {row['error']}"
        bar.write(line)
        _show_best(bar, rows)
        if time.time() - written >= SUMMARY_EVERY_S:  # (its cost grows with the plan)
            _write_summary(out, rows.values())
            written = time.time()

    try:
        signal = TrialPool(cpus_per_run, max_failures).run(next_trial, collect, say=bar.write)
    finally:
        bar.close()
    _write_summary(out, rows.values())
    if signal:
        saved = sum(1 for r in rows.values() if str(r.get("error", "")).startswith(
            ("interrupted at step", "terminated at step")))
        raise Interrupted(stopped_message("sweep", saved, out), signal)
    return list(rows.values())


def _show_best(bar, rows) -> None:
    done = [r for r in rows.values() if r["status"] == "finished"]
    if done:
        best = max(done, key=lambda r: r["last10_return"])
        bar.set_postfix_str(f"best {best['trial']}: {best['last10_return']:.1f}")


def _pending_row(trial: Trial) -> dict:
    row = {"trial": trial.name, "seed": trial.seed, **trial.overrides}
    row.update(dict.fromkeys(RESULT_COLUMNS, ""))
    row["status"] = "pending"
    return row


def _write_summary(out: str, rows) -> None:
    rows = list(rows)
    columns = list(rows[0]) if rows else ["trial", "seed", *RESULT_COLUMNS]
    columns = [c for c in columns if c not in RESULT_COLUMNS] + list(RESULT_COLUMNS)
    write_csv(os.path.join(out, SUMMARY_FILE), rows, columns)


def read_summary(out: str) -> List[dict]:
    with open(os.path.join(out, SUMMARY_FILE), newline="") as f:
        return list(csv.DictReader(f))
