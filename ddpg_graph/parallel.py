"""Several training runs as separate processes, a few at a time (reference curves, checks)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Dict, List, Sequence

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_seeds(text: str) -> List[int]:
    """``"0-4"`` -> [0, 1, 2, 3, 4]; ``"0,2,5-6"`` -> [0, 2, 5, 6]."""
    seeds = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        seeds += list(range(int(first), int(last or first) + 1))
    return seeds


def train_command(preset: str, seed: int, run_dir: str, overrides: Sequence[str] = ()) -> List[str]:
    """A run with one TensorFlow thread; a run already in ``run_dir`` is resumed."""
    command = [sys.executable, "-m", "ddpg_graph", "train", "--no-progress"]
    if os.path.islink(os.path.join(run_dir, "checkpoints", "latest")):
        return command + ["--resume", run_dir]
    extra = [x for pair in overrides for x in ("--set", pair)]
    return command + ["--preset", preset, "--seed", str(seed), "--logdir", run_dir, "--overwrite",
                      "--set", "intra_op_threads=1", "--set", "inter_op_threads=1", *extra]


def run_seeds(preset: str, seeds: Sequence[int], runs_dir: str, jobs: int = 2,
              overrides: Sequence[str] = ()) -> Dict[int, dict]:
    """Trains ``preset`` once per seed under ``runs_dir/PRESET/seedN`` (log beside it);
    returns, per seed, the run directory, exit status and wall time."""
    pending = [(seed, os.path.join(runs_dir, preset, f"seed{seed}")) for seed in seeds]
    running, results = [], {}
    while pending or running:
        while pending and len(running) < jobs:
            seed, run_dir = pending.pop(0)
            os.makedirs(os.path.dirname(run_dir), exist_ok=True)
            log = open(run_dir + ".log", "w")
            process = subprocess.Popen(train_command(preset, seed, run_dir, overrides), cwd=REPO,
                                       stdout=log, stderr=subprocess.STDOUT)
            running.append((seed, run_dir, process, log, time.time()))
        time.sleep(0.5)
        for item in list(running):
            seed, run_dir, process, log, started = item
            if process.poll() is None:
                continue
            log.close()
            running.remove(item)
            results[seed] = {"run_dir": run_dir, "returncode": process.returncode,
                             "seconds": time.time() - started}
            status = "done" if process.returncode == 0 else f"FAILED ({process.returncode})"
            print(f"{preset} seed {seed}: {status} in {results[seed]['seconds']:.0f} s", flush=True)
    return results
