"""Trials on Ray: everything that runs many trainings (sweeps, searches, the suite of standard
tasks) runs them here, and nothing else drives Ray.

A *trial* is one function call (a training run, a peer library's run) in a Ray worker
process of its own (``max_calls=1``: its own TensorFlow, gone when it ends). Without an
address, a local Ray instance uses this machine's cores; with one, the trials run on that
cluster. What a pool does for its caller: start or join Ray (``start_ray``), claim a
directory for one plan (``claim``), hand trials to Ray a window at a time, collect each as it
ends (a row: a dict), rerun one whose process or node died (``max_failures`` times: it
resumes from its own checkpoint), and on Ctrl-C or SIGTERM cancel the running trials (each
gets Ctrl-C in its main thread: a training run saves a checkpoint) and wait for them.

Plain Ray tasks, not Ray Tune: a trial is already a resumable run with its own exact
checkpoints, so what is needed from an engine is placement, retries and cancellation, which
tasks give directly. Tune would run the trial in a thread (where no signal handler can be
installed), restart failed trials from checkpoints of its own, and retry a trial that failed
on bad input as if its process had died.
"""
from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import sys
import time
from typing import Callable, Optional, Tuple

from .config import Config
from .entry import load_tensorflow
from .errors import Interrupted, RunDirLocked, RunError, UserError, first_line
from .interrupts import StopRequests
from .rundir import RunDir, latest_checkpoint, resume_config

CANCEL_GRACE_S = 120  # how long stopped trials get to save their checkpoint
REACH_TIMEOUT_S = 5.0  # how long the cluster's address gets to answer
QUEUED_PER_SLOT = 2  # trials handed to Ray per slot of the cluster; the rest wait with the caller


def start_ray(address: Optional[str] = None, num_cpus: Optional[int] = None) -> None:
    """Connects to the cluster at ``address``, or starts a local Ray instance with
    ``num_cpus`` (default: every core). Workers import what this process can import (its
    ``sys.path``, for env modules given as ``package.module:ID``)."""
    import ray
    if ray.is_initialized():
        return
    path = os.pathsep.join(p for p in sys.path if p and os.path.isdir(p))
    kwargs = dict(include_dashboard=False, logging_level="ERROR", log_to_driver=False,
                  runtime_env={"env_vars": {"PYTHONPATH": path, "TF_CPP_MIN_LOG_LEVEL": "3"}})
    try:
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=num_cpus, **kwargs)
    except OSError as exc:  # Ray's token and its files go to ~/.ray, whatever else is set
        raise UserError(f"Ray cannot write its files in HOME ({os.path.expanduser('~')}): "
                        f"{exc.strerror or type(exc).__name__}: {exc.filename or ''}; set HOME to "
                        "a writable directory") from None
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        hint = ("; a cluster started with token authentication (Ray's default) needs "
                "RAY_AUTH_MODE=token here too" if address and
                os.environ.get("RAY_AUTH_MODE") != "token" else "")
        raise UserError(f"cannot start or reach {where}: {first_line(exc)}{hint}") from None


def ship_with_trials(module) -> None:
    """Sends ``module``'s code with the trials that use its functions, so that Ray's workers
    need not import it (a tool's module, outside the package and its path)."""
    import ray.cloudpickle
    ray.cloudpickle.register_pickle_by_value(module)


def check_reachable(address: str) -> None:
    """Refuses, within ``REACH_TIMEOUT_S``, an address where nothing answers (Ray itself
    would retry for minutes). ``auto`` and ``ray://`` addresses are left to Ray."""
    import socket
    host, sep, port = address.rpartition(":")
    if address == "auto" or "://" in address or not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=REACH_TIMEOUT_S).close()
    except OSError as exc:
        raise UserError(f"cannot reach the Ray cluster at {address}: "
                        f"{exc.strerror or type(exc).__name__}") from None


def check_resources(cpus_per_trial: int) -> None:
    """Refuses ``cpus_per_trial`` when no node of the cluster has that many CPUs (Ray would
    wait for one forever)."""
    import ray
    largest = max((node["Resources"].get("CPU", 0) for node in ray.nodes() if node["Alive"]),
                  default=0)
    if cpus_per_trial > largest:
        raise UserError(f"--cpus-per-run {cpus_per_trial}: no node of the cluster has that many "
                        f"CPUs (the largest has {largest:g})")


def claim(out: str, kind: str, plan_file: str, plan: dict) -> RunDir:
    """Locks ``out``, the directory of a ``kind`` ("sweep", "tune", "suite"), for this
    process, and checks that it holds ``plan`` in ``plan_file`` (written there when new).
    Another process on it, or another plan in it, is one ``UserError`` line."""
    try:
        lock = RunDir(out, new=False)
    except RunDirLocked:
        raise UserError(f"{kind} directory {out} is in use by another {kind}") from None
    path = os.path.join(out, plan_file)
    existing = read_json(path)
    problem = None
    if existing is None and os.path.exists(path):
        problem = f"{path} is not a {kind} plan; choose another --out"
    elif existing is not None and existing != plan:
        problem = f"{out} holds another {kind} (its {plan_file} differs); choose another --out"
    if problem:
        lock.close(discard=True)
        raise UserError(problem)
    if existing is None:
        write_json(path, plan)
    return lock


# The columns every table of trials shares (sweep's summary.csv, tune's trials.csv, the
# suite's trials.csv), one name per fact:
#   status     how the trial ended: pending, running, finished, pruned, failed or stopped
#   error      why it failed or stopped (one line), else empty
#   step       env steps it trained
#   wall_time  seconds of training
#   node       the Ray node it ran on (the first 12 characters of its id)
TRIAL_COLUMNS = ("status", "error", "step", "wall_time", "node")
STATUSES = ("pending", "running", "finished", "pruned", "failed", "stopped")

# What a pool hands it: (name, the function, its arguments); None: nothing more for now.
NextTrial = Callable[[], Optional[Tuple[str, Callable, tuple]]]


class TrialPool:
    """Runs trials as Ray tasks (Ray started, see ``start_ray``), ``cpus_per_trial`` CPUs
    each, at most ``queued_per_slot`` per slot of the cluster handed to Ray at once, so that
    neither the driver's memory nor a stop's cancellations grow with the plan."""

    def __init__(self, cpus_per_trial: int = 1, max_failures: int = 2,
                 queued_per_slot: float = QUEUED_PER_SLOT):
        import ray
        self.cpus_per_trial, self.max_failures = cpus_per_trial, max_failures
        self.slots = max(int(ray.cluster_resources().get("CPU", 1) // cpus_per_trial), 1)
        self.window = max(int(queued_per_slot * self.slots), 1)
        self._tasks = {}  # function -> its Ray task

    def run(self, next_trial: NextTrial, collect: Callable[[str, dict], None],
            say: Callable[[str], None] = print) -> Optional[int]:
        """Runs trials from ``next_trial()`` until it has none and every trial has ended,
        calling ``collect(name, row)`` as each ends: the function's return value, or a row
        ``{"status": "failed" or "stopped", "error": ...}`` when its process died more than
        ``max_failures`` times or it was cancelled. Ctrl-C or SIGTERM cancels the running
        trials and waits up to ``CANCEL_GRACE_S`` for them to save; returns that signal
        (None when every trial ended). An exception of ``collect`` or ``next_trial`` (say,
        a full disk) stops the running trials the same way, then is raised."""
        import ray
        running = {}  # Ray task -> trial name
        failure = []

        def submit():
            while len(running) < self.window:
                trial = next_trial()
                if trial is None:
                    return
                name, function, args = trial
                running[self._task(function).options(
                    name=name, num_cpus=self.cpus_per_trial, max_retries=self.max_failures,
                    retry_exceptions=False).remote(*args)] = name

        def collect_while(go_on, refill):
            while running and go_on():
                ready, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
                for ref in ready:
                    name, row = running.pop(ref), self._result(ref)
                    if not failure:
                        collect(name, row)
                if refill and go_on():
                    submit()

        stop = StopRequests()
        with stop:
            try:
                submit()
                collect_while(lambda: not stop.signal, refill=True)
            except Exception as exc:  # the caller's own: stop the trials, then raise it
                failure.append(exc)
            if (stop.signal or failure) and running:  # cancellation reaches each as Ctrl-C
                say("stopping: each running trial saves a checkpoint")
                for ref in running:
                    ray.cancel(ref)
                deadline = time.time() + CANCEL_GRACE_S
                collect_while(lambda: time.time() < deadline, refill=False)
                if not failure:
                    for name in running.values():
                        collect(name, {"status": "stopped", "error": "did not stop in time"})
        if failure:
            raise failure[0]
        return stop.signal

    def _task(self, function):
        import ray
        if function not in self._tasks:
            self._tasks[function] = ray.remote(max_calls=1)(function)
        return self._tasks[function]

    def _result(self, ref) -> dict:
        import ray
        try:
            return ray.get(ref)
        except ray.exceptions.TaskCancelledError:
            return {"status": "stopped", "error": "stopped before it started"}
        except ray.exceptions.RayError as exc:  # its process or node died too often
            return {"status": "failed", "error": f"its process died {self.max_failures + 1} "
                                                 f"times; last: {type(exc).__name__}"}


# -- one training run, in a Ray worker ----------------------------------------------------------
def run_trial(config_dict: dict, run_dir: str, callbacks=()) -> dict:
    """Trains (or resumes) one trial in ``run_dir``; returns its result row. A run that fails
    or is stopped is a row too (``status``, ``error``), not an exception; one that a callback
    stopped says which (``stopped_by``, e.g. ``"Report.on_evaluation"``)."""
    import ray
    load_tensorflow()
    from .runner import Trainer  # (TensorFlow, loaded just above)
    status_file = run_dir + ".json"
    previous = read_json(status_file) or {}
    row = {"node": node(), "node_ip": ray.util.get_node_ip_address(),
           "attempts": int(previous.get("attempts", 0)) + 1}
    resume = latest_checkpoint(run_dir) is not None
    try:
        write_json(status_file, dict(row, status="running", pid=os.getpid()))
    except RunError as exc:  # (a full disk: the run could not write its checkpoints either)
        return dict(row, status="failed", error=str(exc))
    trainer = None
    try:
        config = Config.from_dict(config_dict)
        if resume:
            config = resume_config(run_dir).replace(total_steps=config.total_steps)
        trainer = Trainer(config, run_dir, progress=False, resume=resume, callbacks=callbacks)
        trainer.run()
        row["status"], row["error"] = "finished", ""
        if trainer.stopped_by:  # (a sweep's trials have no callbacks)
            row["stopped_by"] = trainer.stopped_by
    except Interrupted as exc:
        row["status"], row["error"] = "stopped", str(exc)
    except (UserError, RunError) as exc:
        row["status"], row["error"] = "failed", first_line(exc)
    except Exception as exc:  # the env's or a model factory's own code: the trial fails alone
        row["status"], row["error"] = "failed", f"{type(exc).__name__}: {first_line(exc)}"
    finally:
        if trainer is not None:
            row.update(_outcome(trainer))
            try:
                trainer.close()
            except RunError as exc:
                row["error"] = row["error"] or str(exc)
    try:
        write_json(status_file, row)
    except RunError as exc:  # the driver has the row: it writes it once it can
        row["error"] = row["error"] or str(exc)
    return row


def _outcome(trainer) -> dict:
    history = trainer.history
    evals = [v for v in history.column("eval_return") if not math.isnan(v)]
    return {"last10_return": history.last_mean(), "eval_return": evals[-1] if evals else math.nan,
            "step": trainer.step, "wall_time": trainer.elapsed}


def node() -> str:
    """The Ray node this trial runs on (the first 12 characters of its id; "" outside Ray)."""
    import ray
    return ray.get_runtime_context().get_node_id()[:12] if ray.is_initialized() else ""


def default_out(kind: str, preset: str, plan: dict) -> str:
    """``runs/KIND-PRESET-HASH`` (kind: sweep, tune): the same command finds the same
    directory again."""
    digest = hashlib.sha1(json.dumps(plan, sort_keys=True).encode()).hexdigest()[:8]
    return os.path.join("runs", f"{kind}-{preset}-{digest}")


# -- the files trials and plans leave ---------------------------------------------------------
def read_json(path: str) -> Optional[dict]:
    """The JSON object at ``path``, or None when it is missing or not one."""
    try:
        with open(path) as f:
            value = json.load(f)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def stopped_message(kind: str, saved: int, out: str) -> str:
    """What a stopped sweep, search or suite says: how many trials saved a checkpoint (none is
    said as none), and how to go on."""
    trials = ("no running trial had to save a checkpoint" if not saved else
              f"{saved} running trial{'s' if saved > 1 else ''} saved a checkpoint")
    return f"{kind} stopped; {trials}; the same command (--out {out}) goes on"


def write_atomically(path: str, write: Callable, binary: bool = False) -> None:
    """``write(file)`` into ``path`` whole or not at all: aside, then renamed. A failed write
    (a full disk) leaves the previous file and no ``.tmp``, and is one ``RunError`` line."""
    try:
        with open(path + ".tmp", "wb") if binary else open(path + ".tmp", "w", newline="") as f:
            write(f)
        os.replace(path + ".tmp", path)
    except OSError as exc:
        try:
            os.remove(path + ".tmp")
        except OSError:
            pass
        raise RunError(f"cannot write {path}: {exc.strerror or type(exc).__name__}") from None


def write_json(path: str, value: dict) -> None:
    write_atomically(path, lambda f: json.dump(value, f, indent=1, sort_keys=True))


def write_csv(path: str, rows, columns) -> None:
    """``rows`` (dicts) as a CSV of ``columns`` (other keys left out), cells by ``cell``."""
    def write(f):
        writer = csv.DictWriter(f, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: cell(v) for k, v in row.items()} for row in rows)
    write_atomically(path, write)


def cell(value):
    """A table cell: a float to 10 significant digits, NaN as empty."""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.10g}"
    return value
