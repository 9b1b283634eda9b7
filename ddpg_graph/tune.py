"""Hyperparameter search with Optuna, its trials as Ray tasks: ``python -m ddpg_graph tune``.

The study is Optuna's: its sampler (TPE or random) chooses each trial's values through the
ask/tell interface, and its median pruner stops trials whose evaluations trail the others'
(from a third of a trial's steps on).
A trial is a normal training run, run as ``sweep`` runs its trials (``pool.run_trial``: a
Ray worker process of its own, its own run directory, resumable checkpoints). Each of its
evaluations is reported to the study by a callback (``Report``), which stops the run cleanly
(a checkpoint, a complete history) when the pruner says so. A trial's value is its last
evaluation's return.

The search space is data (``DEFAULT_SPACE``, or ``--space FILE``, JSON or YAML): a name per
sampled value, with ``choices`` (a list, or a mapping of names to values) or ``low``/``high``
(integers: ``suggest_int``; else ``suggest_float``; ``log``: a log scale), and ``sets``: the
config keys it sets (default: its name). Every value a space can produce is checked by
``Config`` before anything runs.

Files in the tune directory: ``tune.json`` (the plan), ``study.journal`` (Optuna's journal
storage: processes on one machine, and nodes sharing the directory, share it), one run
directory per trial (``trial-0003``), ``trials.csv``, ``best.json`` (the best trial's whole
config: ``train --config best.json`` reproduces it) and ``history.png``/``importance.png``
(Optuna's plots). Running the same command again continues the study: finished trials are
kept, trials that were running resume from their checkpoints.
"""
from __future__ import annotations

import json
import math
import os
import warnings
from typing import Dict, List, Optional, Sequence

from . import pool
from .config import Config, parse_overrides
from .errors import ConfigError, Interrupted, UserError, first_line

PLAN_FILE = "tune.json"
JOURNAL_FILE = "study.journal"
TRIALS_FILE = "trials.csv"
BEST_FILE = "best.json"
STUDY_NAME = "ddpg_graph"
SAMPLERS = ("tpe", "random")
PRUNERS = ("median", "none")
# an Optuna trial's state as the pool's status (pool.STATUSES)
STATUS = {"COMPLETE": "finished", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running",
          "WAITING": "pending"}
RESULT = "result"  # the user attribute of an Optuna trial that keeps the row its worker returned
MAX_FAILURES = 2  # reruns of a trial whose process or node died (each resumes from its checkpoint)

# rl-zoo3's DDPG sampler (rl_zoo3/hyperparams_opt.py, sample_ddpg_params), in this package's
# keys: one learning rate for both networks, gradient_steps = train_freq, SB3's
# "ornstein-uhlenbeck"/"normal"/None noises as ou/gaussian/none with their std as sigma.
DEFAULT_SPACE = {
    "gamma": {"choices": [0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999]},
    "learning_rate": {"low": 1e-5, "high": 1.0, "log": True, "sets": ["actor_lr", "critic_lr"]},
    "batch_size": {"choices": [16, 32, 64, 100, 128, 256, 512, 1024, 2048]},
    "buffer_size": {"choices": [10_000, 100_000, 1_000_000]},
    "tau": {"choices": [0.001, 0.005, 0.01, 0.02, 0.05, 0.08]},
    "train_freq": {"choices": [1, 4, 8, 16, 32, 64, 128, 256, 512],
                   "sets": ["train_every", "gradient_steps"]},
    "noise": {"choices": ["ou", "gaussian", "none"]},
    "noise_sigma": {"low": 0.0, "high": 1.0},
    "net_arch": {"choices": {"small": [64, 64], "medium": [256, 256], "big": [400, 300]},
                 "sets": ["actor_hidden", "critic_hidden"]},
}


# -- the space ----------------------------------------------------------------------------
def load_space(path: str) -> dict:
    """A space from a JSON or YAML file (one ``UserError`` line if it does not read)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise UserError(f"cannot read the space {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"cannot read the space {path}: not UTF-8 text (JSON or YAML)") from None
    try:
        if path.endswith((".yaml", ".yml")):
            import yaml
            space = yaml.safe_load(text)
        else:
            space = json.loads(text)
    except Exception as exc:  # the parser's own error, whatever its kind
        raise UserError(f"cannot read the space {path}: {first_line(exc)}") from None
    if not isinstance(space, dict) or not space:
        raise UserError(f"the space {path} must map names to their ranges")
    return space


def check_space(space: dict, base: dict, preset: str) -> None:
    """Refuses a space that can produce a config ``Config`` refuses: each bound and choice,
    set alone on the preset and the tune's overrides (one line naming the value)."""
    for name, spec in space.items():
        if not isinstance(spec, dict) or not (("choices" in spec) ^ ("low" in spec and "high" in spec)):
            raise ConfigError(f"space {name!r}: give either choices or low and high")
        sets = spec.get("sets", [name])
        if not isinstance(sets, list) or not sets:
            raise ConfigError(f"space {name!r}: sets must list config keys")
        choices = spec["choices"] if "choices" in spec else [spec["low"], spec["high"]]
        if isinstance(choices, dict):
            choices = list(choices.values())
        if not isinstance(choices, list) or not choices:
            raise ConfigError(f"space {name!r}: choices must be a non-empty list or mapping")
        if "low" in spec:
            low, high = spec["low"], spec["high"]
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)):
                raise ConfigError(f"space {name!r}: low and high must be numbers")
            if not low <= high:
                raise ConfigError(f"space {name!r}: low must not exceed high")
            if spec.get("log") and low <= 0:
                raise ConfigError(f"space {name!r}: a log scale needs low above 0, got {low}")
        for value in choices:
            try:
                Config.from_preset(preset, **dict(base, **{key: value for key in sets}))
            except UserError as exc:
                raise ConfigError(f"space {name!r} can give {value!r}, which the config "
                                  f"refuses: {exc}") from None


def sample(trial, space: dict) -> Dict[str, object]:
    """The config values ``trial`` (an Optuna trial) draws from ``space``."""
    params = {}
    for name, spec in space.items():
        if "choices" in spec:  # named values (a mapping): Optuna stores the name
            params[name] = trial.suggest_categorical(name, list(spec["choices"]))
        elif all(isinstance(spec[k], int) and not isinstance(spec[k], bool) for k in ("low", "high")):
            params[name] = trial.suggest_int(name, spec["low"], spec["high"], log=spec.get("log", False))
        else:
            params[name] = trial.suggest_float(name, float(spec["low"]), float(spec["high"]),
                                               log=spec.get("log", False))
    return config_values(params, space)


def config_values(params: dict, space: dict) -> Dict[str, object]:
    """The config values of a trial's parameters (as Optuna stores them): a named choice's
    value, set on every key of the entry's ``sets``."""
    values = {}
    for name, spec in space.items():
        value = params[name]
        if isinstance(spec.get("choices"), dict):
            value = spec["choices"][value]
        for key in spec.get("sets", [name]):
            values[key] = value
    return values


# -- one trial's evaluations, reported from its Ray worker --------------------------------
class Report:
    """A trainer callback in the trial's process: each evaluation's return goes to the study
    (``trial.report`` at the env step); when the pruner says so, the run stops cleanly."""

    def __init__(self, journal: str, trial_id: int, pruner: str, startup: int, warmup: int):
        self.journal, self.trial_id = journal, trial_id
        self.pruner, self.startup, self.warmup = pruner, startup, warmup
        self._trial = None

    def on_evaluation(self, trainer, value):
        import optuna
        if self._trial is None:
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            study = optuna.load_study(study_name=STUDY_NAME, storage=_storage(self.journal),
                                      pruner=make_pruner(self.pruner, self.startup, self.warmup))
            self._trial = optuna.trial.Trial(study, self.trial_id)
        with warnings.catch_warnings():  # (a resumed trial reports its steps again, alike)
            warnings.simplefilter("ignore")
            self._trial.report(float(value), trainer.step)
        return False if self._trial.should_prune() else None


def make_pruner(name: str, startup: int, warmup: int):
    import optuna
    if name == "none":
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=startup, n_warmup_steps=warmup)


def make_sampler(name: str, seed: int, startup: int):
    import optuna
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(n_startup_trials=startup, seed=seed)


def _storage(journal: str):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    return JournalStorage(JournalFileBackend(journal))


# -- the driver -----------------------------------------------------------------------------
def tune(preset: str, trials: int, sampler: str = "tpe", pruner: str = "median",
         space: Optional[dict] = None, out: Optional[str] = None, address: Optional[str] = None,
         cpus_per_run: int = 1, overrides: Sequence[str] = (), seed: int = 0,
         startup_trials: int = 5, progress: bool = True) -> tuple:
    """Runs a study of ``trials`` trials of ``preset`` on Ray; returns the tune directory and
    the trials' rows (also in ``trials.csv``). ``space``: a space (see the module's
    docstring; default ``DEFAULT_SPACE``); ``overrides``: ``--set`` texts for every trial;
    ``seed``: the sampler's, and every trial's run seed."""
    try:
        import optuna
    except ImportError:
        raise UserError("tune needs Optuna: pip install 'optuna==5.0.0'") from None
    if trials < 1 or cpus_per_run < 1 or startup_trials < 0:
        raise ConfigError("--trials and --cpus-per-run must be at least 1, --startup-trials at least 0")
    if sampler not in SAMPLERS or pruner not in PRUNERS:
        raise ConfigError(f"--sampler is one of {SAMPLERS}, --pruner one of {PRUNERS}")
    space = DEFAULT_SPACE if space is None else space
    base = {"intra_op_threads": cpus_per_run, "inter_op_threads": cpus_per_run, "seed": seed}
    base.update(parse_overrides(overrides))
    check_space(space, base, preset)
    config = Config.from_preset(preset, **base)
    if not 0 < config.eval_every_steps <= config.total_steps or not config.eval_episodes:
        raise ConfigError(f"a trial's value is its last evaluation: eval_every_steps "
                          f"({config.eval_every_steps}) must be positive and at most total_steps "
                          f"({config.total_steps}), and eval_episodes positive")
    plan = {"preset": preset, "sampler": sampler, "pruner": pruner, "space": space,
            "overrides": list(overrides), "seed": seed, "startup_trials": startup_trials}
    out = out or pool.default_out("tune", preset, plan)
    if address:
        pool.check_reachable(address)
    lock = pool.claim(out, "tune", PLAN_FILE, plan)
    started = False
    try:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        journal = os.path.join(os.path.abspath(out), JOURNAL_FILE)
        # no pruning in a trial's first third, as rl-zoo3 (n_warmup_steps = n_evaluations // 3):
        # its first evaluations are too early to tell (MedianPruner prunes from step warmup on)
        warmup = config.total_steps // 3
        # a continued study's sampler is seeded past the trials it holds: seeded as at the
        # start, it drew the first trials' values again (its stream is not in the journal)
        held = len(optuna.create_study(study_name=STUDY_NAME, storage=_storage(journal),
                                       direction="maximize", load_if_exists=True).trials)
        study = optuna.create_study(study_name=STUDY_NAME, storage=_storage(journal),
                                    direction="maximize", load_if_exists=True,
                                    sampler=make_sampler(sampler, seed + held, startup_trials),
                                    pruner=make_pruner(pruner, startup_trials, warmup))
        pool.start_ray(address)
        pool.check_resources(cpus_per_run)
        started = True
        report = dict(journal=journal, pruner=pruner, startup=startup_trials, warmup=warmup)
        rows = _drive(study, trials, space, preset, base, out, cpus_per_run, report, progress)
        return out, rows
    finally:
        lock.close(discard=not started)


def trial_dir(out: str, number: int) -> str:
    return os.path.join(out, f"trial-{number:04d}")


def _drive(study, trials, space, preset, base, out, cpus_per_run, report, progress) -> List[dict]:
    import optuna
    from tqdm import tqdm
    State = optuna.trial.TrialState
    # trials a killed driver left running: resumed from their checkpoints, with their values
    resumed = [(frozen.number, frozen._trial_id,
                Config.from_preset(preset, **dict(base, **config_values(frozen.params, space))))
               for frozen in study.get_trials(deepcopy=False, states=(State.RUNNING,))]
    ended = (State.COMPLETE, State.PRUNED, State.FAIL)
    counts = {"ended": len(study.get_trials(deepcopy=False, states=ended)), "running": 0}
    bar = tqdm(total=trials, initial=min(counts["ended"], trials), disable=not progress,
               unit="trial", dynamic_ncols=True, desc="tune")
    trial_ids = {}  # trial number -> Optuna's trial id, for the trials handed to the pool

    def next_trial():
        while resumed or counts["ended"] + counts["running"] < trials:
            if resumed:
                number, trial_id, config = resumed.pop(0)
            else:
                trial = study.ask()
                try:
                    config = Config.from_preset(preset, **dict(base, **sample(trial, space)))
                except UserError as exc:  # values each valid, together not: the trial fails
                    _fail(study, trial, str(exc), bar)
                    counts["ended"] += 1
                    continue
                number, trial_id = trial.number, trial._trial_id
            counts["running"] += 1
            trial_ids[number] = trial_id
            return (f"trial-{number}", pool.run_trial,
                    (config.to_dict(), trial_dir(out, number), [Report(trial_id=trial_id, **report)]))
        return None

    def collect(name, row):
        number = int(name.split("-")[1])
        counts["running"] -= 1
        counts["ended"] += 1
        # the row is kept in the study first: a trial JSON the worker could not write (a full
        # disk) is written from it by a later call
        optuna.trial.Trial(study, trial_ids[number]).set_user_attr(RESULT, row)
        _tell(study, number, row, bar)
        _write_results(study, out, space)

    try:
        signal = pool.TrialPool(cpus_per_run, max_failures=MAX_FAILURES, queued_per_slot=1).run(
            next_trial, collect, say=bar.write)
    finally:
        bar.close()
    rows = _write_results(study, out, space)
    if signal:
        saved = sum(1 for r in rows if r["status"] == "running")
        raise Interrupted(pool.stopped_message("tune", saved, out), signal)
    return rows


def _fail(study, trial, reason: str, bar) -> None:
    """Tells the study that ``trial`` failed, with ``reason`` kept beside it."""
    import optuna
    trial.set_user_attr("error", reason)
    study.tell(trial, state=optuna.trial.TrialState.FAIL)
    bar.write(f"trial {trial.number}: failed: {reason}")


def _tell(study, number: int, row: dict, bar) -> None:
    """Tells the study how trial ``number`` ended (``row``, from the pool): its last
    evaluation's return, pruned (the ``Report`` callback stopped it), failed, or stopped by
    Ctrl-C (then it stays running: the same command resumes it)."""
    import optuna
    State = optuna.trial.TrialState
    value = row.get("eval_return", math.nan)
    if row["status"] == "stopped":
        return
    if row.get("stopped_by", "").startswith("Report."):
        study.tell(number, state=State.PRUNED)
        bar.write(f"trial {number}: pruned at step {row['step']}")
    elif row["status"] == "finished" and isinstance(value, float) and math.isfinite(value):
        study.tell(number, value)
        bar.write(f"trial {number}: {value:.1f}")
    else:
        study.tell(number, state=State.FAIL)  # (the reason: the trial's JSON, trials.csv)
        bar.write(f"trial {number}: failed: {row.get('error') or 'no evaluation'}")


def _write_results(study, out: str, space: dict) -> List[dict]:
    """``trials.csv``, ``best.json`` and the plots, from the study as it is."""
    import optuna
    State = optuna.trial.TrialState
    rows = []
    for trial in study.get_trials(deepcopy=False):
        path = trial_dir(out, trial.number) + ".json"
        result = trial.user_attrs.get(RESULT)  # the row its worker returned, once it ended
        if result is not None and pool.read_json(path) != result:  # (the worker could not
            pool.write_json(path, result)                          # write it: a full disk)
        result = result or pool.read_json(path) or {}
        row = {"trial": trial.number, **{name: trial.params.get(name, "") for name in space},
               "status": STATUS[trial.state.name],
               "error": trial.user_attrs.get("error") or result.get("error", ""),
               "value": trial.value if trial.value is not None else math.nan,
               "best_eval": max(trial.intermediate_values.values(), default=math.nan),
               "step": result.get("step", ""), "wall_time": result.get("wall_time", ""),
               "node": result.get("node", "")}
        rows.append(row)
    pool.write_csv(os.path.join(out, TRIALS_FILE), rows,
                   list(rows[0]) if rows else ["trial", "status", "value"])
    complete = [t for t in study.get_trials(deepcopy=False) if t.state == State.COMPLETE]
    if complete:
        best = max(complete, key=lambda t: t.value)
        config = Config.load(os.path.join(trial_dir(out, best.number), "config.json"))
        pool.write_json(os.path.join(out, BEST_FILE), config.to_dict())
        _plot(study, out)
    return rows


def _plot(study, out: str) -> None:
    """Optuna's optimisation history and parameter importances as PNGs (the importances once
    there are enough complete trials to compute them)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as plots
    with warnings.catch_warnings():  # (Optuna's "experimental feature" warnings)
        warnings.simplefilter("ignore")
        for name, draw in (("history.png", plots.plot_optimization_history),
                           ("importance.png", plots.plot_param_importances)):
            try:
                axes = draw(study)
            except (ValueError, RuntimeError, ZeroDivisionError):  # too few trials for it yet
                continue
            pool.write_atomically(os.path.join(out, name), lambda f: axes.figure.savefig(
                f, format="png", dpi=100, bbox_inches="tight"), binary=True)
            plt.close(axes.figure)
