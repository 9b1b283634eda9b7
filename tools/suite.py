"""The suite of standard tasks: env × seed × library on Ray, reported the field's way.

    python tools/suite.py [--envs Hopper-v5,Walker2d-v5,HalfCheetah-v5,InvertedPendulum-v5]
        [--seeds 0-4] [--steps 50000] [--eval-every 5000] [--preset zoo]
        [--libraries ddpg_graph,sb3[,sbx]] [--variant NAME:KEY=VALUE[,KEY=VALUE]] ...
        [--set KEY=VALUE ...] [--out runs/suite] [--address ADDRESS] [--report-only]

Every trial is one training run in a Ray worker of its own, through ``ddpg_graph.pool`` (as
sweeps run theirs): local by default, a cluster with ``--address``, one CPU each (one
TensorFlow tower and thread; torch and JAX held to one thread). Each library runs the preset's
values (``ddpg_graph.peers`` makes SB3's and SBX's DDPG from the same ``Config``), and each
is evaluated by one protocol: every ``--eval-every`` env steps, ``EVAL_EPISODES``
deterministic episodes on a fresh env reset with the same seeds whichever library runs.
A ``--variant`` is ddpg_graph with overrides, as one more column (e.g.
``--variant bf16:matmul_precision=bfloat16``); ``--set`` overrides the preset for every
library.

The same command goes on after a stop or a SIGKILL of its driver: finished trials are not run
again, a ddpg_graph trial resumes from its checkpoint exactly (its curve kept up to that
step), a peer's trial restarts. Files in ``--out``: ``suite.json`` (the plan),
``curves.csv`` (env, library, seed, step, return: every evaluation of every trial),
``trials.csv`` (one row per trial), ``overestimation.csv`` (env, library, seed, step, q_s0,
discounted_return: the critic's ``Q(s0, pi(s0))`` at the evaluation episodes' first states
and their discounted returns, means over the episodes), one directory per trial; the report (``report.md``,
``curves.png``, ``aggregate.png``, ``profiles.png``), made with rliable: per env and over
normalized scores, IQM with 95% stratified-bootstrap confidence intervals, the probability
that ddpg_graph improves on each peer (with its CI), performance profiles and median curves
with CI bands. ``--report-only`` remakes the report from what has finished.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from typing import NamedTuple

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from ddpg_graph import pool  # noqa: E402
from ddpg_graph.config import Config, parse_overrides  # noqa: E402
from ddpg_graph.errors import UserError  # noqa: E402
from ddpg_graph.sweep import parse_seeds  # noqa: E402

ENVS = ("Hopper-v5", "Walker2d-v5", "HalfCheetah-v5", "InvertedPendulum-v5")
EVAL_EPISODES = 10
EVAL_SEED = 1_000_000  # episode i of every evaluation resets with EVAL_SEED + i
PLAN_FILE, TRIALS_FILE, CURVES_FILE = "suite.json", "trials.csv", "curves.csv"
OVERESTIMATION_FILE = "overestimation.csv"  # per trial, and all trials' rows at the top
OURS = "ddpg_graph"
BOOTSTRAP_REPS = 2000


# -- the protocol -------------------------------------------------------------------------------
class Evaluation(NamedTuple):
    """One evaluation: the mean return of its episodes; the mean, over them, of the critic's
    ``Q(s0, pi(s0))`` at the first state and of the discounted return from it (the
    overestimation Fujimoto et al. 2018 measured)."""
    ret: float
    q_s0: float
    discounted_return: float


def evaluate(policy, env_id: str, value=None, gamma: float = 1.0,
             reward_scale: float = 1.0) -> Evaluation:
    """``EVAL_EPISODES`` episodes of ``policy(obs) -> action`` on a fresh ``env_id``, episode i
    reset with ``EVAL_SEED + i``: the same for every library. ``value(obs) -> Q``: the
    library's critic on its own action (None: NaN); the discounted return is in the critic's
    units (rewards times ``reward_scale``)."""
    import gymnasium as gym
    from ddpg_graph.evaluation import play_episode
    env = gym.make(env_id)
    played = [play_episode(env, policy, value, gamma, reward_scale, EVAL_SEED + episode)
              for episode in range(EVAL_EPISODES)]
    env.close()
    return Evaluation(*(float(sum(x) / EVAL_EPISODES) for x in zip(
        *[(e.ret, e.q_s0, e.discounted_return) for e in played])))


class Curve:
    """A trial's evaluations, rows of ``columns`` (the first: the step) in ``DIR/NAME``,
    written whole at each one. ``keep_until(step)``: forgets evaluations after ``step`` (a
    resumed run redoes them)."""

    def __init__(self, directory: str, name: str = "curve.csv", columns=("step", "return")):
        self.path = os.path.join(directory, name)
        self.columns = list(columns)
        self.rows = []
        if os.path.exists(self.path):
            with open(self.path, newline="") as f:
                self.rows = [(int(r[self.columns[0]]), *(float(r[k]) for k in self.columns[1:]))
                             for r in csv.DictReader(f)]

    def keep_until(self, step: int) -> None:
        self.rows = [r for r in self.rows if r[0] <= step]

    def add(self, step: int, *values: float) -> None:
        self.rows.append((step, *values))
        pool.write_csv(self.path, [dict(zip(self.columns, r)) for r in self.rows], self.columns)


def overestimation_curve(directory: str) -> Curve:
    """A trial's ``Q(s0)`` and discounted return at each evaluation."""
    return Curve(directory, OVERESTIMATION_FILE, ("step", "q_s0", "discounted_return"))


class Recorder:
    """Where one trial's evaluations go: its return curve and its overestimation curve."""

    def __init__(self, directory: str):
        self.returns, self.values = Curve(directory), overestimation_curve(directory)

    def keep_until(self, step: int) -> None:
        self.returns.keep_until(step)
        self.values.keep_until(step)

    def add(self, step: int, evaluation: Evaluation) -> None:
        self.values.add(step, evaluation.q_s0, evaluation.discounted_return)
        self.returns.add(step, evaluation.ret)


# -- one trial, in a Ray worker -------------------------------------------------------------------
def run_trial(library: str, config_dict: dict, directory: str, eval_every: int) -> dict:
    """Trains ``library`` (``ddpg_graph``, ``sb3`` or ``sbx``) with ``config_dict`` in
    ``directory``, evaluating by the protocol every ``eval_every`` env steps; its row."""
    os.makedirs(directory, exist_ok=True)
    started = time.time()
    row = {"status": "finished", "error": "", "node": pool.node()}
    try:
        config = Config.from_dict(config_dict)
        run = _run_ours if library == OURS else _run_peer
        row["step"] = run(library, config, directory, eval_every)
    except Exception as exc:  # the trial fails alone, as a row
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}".splitlines()[0])
    row["wall_time"] = time.time() - started
    curve = Curve(directory)
    row["final_return"] = curve.rows[-1][1] if curve.rows else float("nan")
    pool.write_json(directory + ".json", row)
    return row


def _run_ours(library, config, directory, eval_every) -> int:
    from ddpg_graph.callbacks import Callback
    from ddpg_graph.entry import load_tensorflow
    from ddpg_graph.rundir import latest_checkpoint, resume_config
    load_tensorflow()
    from ddpg_graph.runner import Trainer
    run_dir = os.path.join(directory, "run")
    recorder = Recorder(directory)

    class Evaluations(Callback):
        def on_step(self, trainer):
            if trainer.step % eval_every == 0:
                agent = trainer.agent
                recorder.add(trainer.step, evaluate(
                    agent.act, config.env_id, lambda obs: agent.act_with_q(obs)[1],
                    config.gamma, config.reward_scale))

    resume = latest_checkpoint(run_dir) is not None
    if resume:  # (the run's own config, as a sweep resumes a trial)
        config = resume_config(run_dir).replace(total_steps=config.total_steps)
    with Trainer(config, run_dir, progress=False, resume=resume, overwrite=not resume,
                 callbacks=[Evaluations()]) as trainer:
        recorder.keep_until(trainer.step)
        trainer.run()
        return trainer.step


def _run_peer(library, config, directory, eval_every) -> int:
    import gymnasium as gym
    from ddpg_graph import peers
    if library == "sb3":
        import torch
        torch.set_num_threads(1)
    from stable_baselines3.common.callbacks import BaseCallback
    recorder = Recorder(directory)
    recorder.keep_until(0)  # a peer's trial restarts from scratch

    class Evaluations(BaseCallback):
        def _on_step(self):
            if self.num_timesteps % eval_every == 0:
                model = self.model
                recorder.add(self.num_timesteps, evaluate(
                    lambda obs: model.predict(obs, deterministic=True)[0], config.env_id,
                    value, config.gamma, config.reward_scale))
            return True

    env = gym.make(config.env_id)
    model = peers.make(library, config, env)
    value = peers.value_function(library, model)
    model.learn(total_timesteps=config.total_steps, callback=Evaluations())
    return model.num_timesteps


# -- the plan and the driver ----------------------------------------------------------------------
def plan_configs(plan: dict) -> dict:
    """``{(env, library, seed): (library to run, config)}`` for every trial of ``plan``,
    seed-major (an unfinished suite holds whole seeds), each config validated."""
    columns = {lib: (lib, {}) for lib in plan["libraries"]}
    for name, overrides in plan["variants"].items():
        columns[name] = (OURS, parse_overrides(overrides))
    trials = {}
    for seed in plan["seeds"]:
        for env in plan["envs"]:
            for column, (library, overrides) in columns.items():
                values = dict(env_id=env, seed=seed, total_steps=plan["steps"], eval_every_steps=0,
                              towers=1, intra_op_threads=1, inter_op_threads=1)
                values.update(parse_overrides(plan.get("overrides", [])))
                values.update(overrides)
                trials[(env, column, seed)] = (library, Config.from_preset(plan["preset"], **values))
    return trials


def trial_name(env: str, column: str, seed: int) -> str:
    return f"{env},{column},seed={seed}"


def run_suite(plan: dict, out: str, address=None) -> None:
    """Runs every trial of ``plan`` not finished in ``out`` on Ray, then writes the tables."""
    pool.ship_with_trials(sys.modules[__name__])  # Ray's workers need not find tools/
    trials = plan_configs(plan)
    if address:
        pool.check_reachable(address)
    lock = pool.claim(out, "suite", PLAN_FILE, plan)
    try:
        pool.start_ray(address)
        todo = [key for key in trials
                if (pool.read_json(os.path.join(out, trial_name(*key)) + ".json") or {}).get("status")
                != "finished"]
        print(f"{len(trials) - len(todo)} of {len(trials)} trials finished earlier; {len(todo)} to run",
              flush=True)

        def next_trial():
            if not todo:
                return None
            key = todo.pop(0)
            library, config = trials[key]
            name = trial_name(*key)
            return name, run_trial, (library, config.to_dict(), os.path.join(out, name),
                                     plan["eval_every"])

        def collect(name, row):
            print(f"{name}: {row['status']}" + (f", final return {row['final_return']:.1f}"
                                                if row["status"] == "finished" else
                                                f": {row.get('error', '')}"), flush=True)
            write_tables(out, plan)

        signal = pool.TrialPool(1, max_failures=2).run(next_trial, collect)
    finally:
        lock.close()
    write_tables(out, plan)
    if signal:
        raise SystemExit(128 + signal)


def write_tables(out: str, plan: dict) -> None:
    """``trials.csv`` and ``curves.csv`` from every trial directory."""
    trial_rows, curve_rows, value_rows = [], [], []
    for (env, column, seed) in plan_configs(plan):
        name = trial_name(env, column, seed)
        status = pool.read_json(os.path.join(out, name) + ".json") or {"status": "pending"}
        key = {"env": env, "library": column, "seed": seed}
        trial_rows.append({**key, **status})
        for rows, curve in ((curve_rows, Curve(os.path.join(out, name))),
                            (value_rows, overestimation_curve(os.path.join(out, name)))):
            rows += [{**key, **dict(zip(curve.columns, row))} for row in curve.rows]
    keys = ["env", "library", "seed"]
    for path, rows, columns in (
            (TRIALS_FILE, trial_rows, keys + ["final_return", *pool.TRIAL_COLUMNS]),
            (CURVES_FILE, curve_rows, keys + Curve("").columns),
            (OVERESTIMATION_FILE, value_rows, keys + overestimation_curve("").columns)):
        pool.write_csv(os.path.join(out, path), rows, columns)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", default=",".join(ENVS))
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--eval-every", type=int, default=5_000)
    parser.add_argument("--preset", default="zoo")
    parser.add_argument("--libraries", default="ddpg_graph,sb3")
    parser.add_argument("--variant", action="append", default=[],
                        help="NAME:KEY=VALUE[,KEY=VALUE]: ddpg_graph with overrides, as a column")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="a config override for every library's trials")
    parser.add_argument("--out", default=os.path.join("runs", "suite"))
    parser.add_argument("--address", default=None)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    try:
        from ddpg_graph import peers
        libraries = [lib.strip() for lib in args.libraries.split(",") if lib.strip()]
        for library in libraries:
            if library != OURS:
                peers.check_installed(library)
        variants = {}
        for spec in args.variant:
            name, sep, overrides = spec.partition(":")
            if not sep or not name or name in libraries:
                raise UserError(f"--variant expects NAME:KEY=VALUE[,KEY=VALUE], got {spec!r}")
            variants[name] = overrides.split(",")
        plan = {"envs": args.envs.split(","), "seeds": parse_seeds(args.seeds), "steps": args.steps,
                "eval_every": args.eval_every, "preset": args.preset, "libraries": libraries,
                "variants": variants}
        if args.overrides:  # (a plan without them stays the plan it was)
            plan["overrides"] = args.overrides
        if args.steps <= 0 or args.eval_every <= 0 or args.steps % args.eval_every:
            raise UserError("--steps and --eval-every must be positive, --steps a multiple of it")
        plan_configs(plan)  # validates every config before anything is written
        if not args.report_only:
            run_suite(plan, args.out, args.address)
        from suite_report import report
        print(report(args.out, plan))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
