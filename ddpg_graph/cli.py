"""``python -m ddpg_graph train|evaluate|export|compare|sweep|reproduce|config``: the command line.

A leaf over the library: it parses arguments, calls the library and maps its errors to exit
statuses and flag hints (``entry.run_safely``); every user error ends as one line on stderr
and exit status 2, never a traceback. Nothing in the package imports it.
"""
from __future__ import annotations

import argparse
import collections
import json
import os

import numpy as np

from . import entry, envs, launch
from .config import PRESETS, SCOPE_MODES, VECTOR_MODES, Config
from .errors import RunDirNotEmpty, UserError
from .history import History
from .reference import Reference, compare as check, plot
from .sweep import sweep as run_sweep
from .tune import PRUNERS, SAMPLERS, load_space, tune as run_tune
from .video import record_video

# The modules that import TensorFlow (the runner, evaluation, export) are imported inside the
# commands, which load TensorFlow (entry.load_tensorflow) once their input is checked: --help,
# bad options and config values, config, compare and the drivers of sweep and tune (whose
# trials load it in their Ray workers) answer in a fraction of a second.


class Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage dump) and exit status 2."""

    def error(self, message):
        raise UserError(message)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options every training command shares (the CLI and the reproduce scripts)."""
    parser.add_argument("--seed", type=int, help="seed of every random source (default: the preset's, 0)")
    parser.add_argument("--total-steps", "--steps", dest="total_steps", type=int,
                        help="environment steps to train for (default: the preset's)")
    parser.add_argument("--logdir", help="run directory for TensorBoard logs, history.csv and "
                                         "checkpoints (default: runs/PRESET-seedN-TIME)")
    parser.add_argument("--overwrite", action="store_true",
                        help="reuse a --logdir that already holds a run, deleting that run")
    parser.add_argument("--resume", metavar="RUN_DIR",
                        help="continue the run in RUN_DIR from its latest checkpoint, exactly as "
                             "if it had not stopped (only --total-steps may change)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override any config key, e.g. --set tau=0.01 --set actor_hidden=64,64 "
                             "(repeatable; python -m ddpg_graph config lists the keys)")
    parser.add_argument("--scope", choices=SCOPE_MODES,
                        help="the oscilloscope of actions, noise and Q: a live window, PNG/MP4 "
                             "files in RUN_DIR/scope, or off (default: the preset's)")
    parser.add_argument("--device", help="where the graph runs: auto (default), cpu, gpu:0, ...; "
                                         "several, e.g. gpu:0,gpu:1, place tower i (--set "
                                         "towers=T) on the i-th; a GPU TensorFlow cannot see "
                                         "falls back to the CPU with one warning line")
    parser.add_argument("--n-envs", type=int, dest="n_envs",
                        help="training envs stepped together, one session.run acting for all "
                             "(default: the preset's, 1)")
    parser.add_argument("--vector-mode", choices=tuple(VECTOR_MODES), dest="vector_mode",
                        help="sync: the envs step one after another in this process; async: "
                             "one process each, for envs whose step is slow (default sync)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def make_trainer(args):
    """The Trainer the options ask for: a new run, or the resumed one."""
    config = launch.run_config(args.preset, args.overrides, resume=args.resume,
                        config_file=getattr(args, "config_file", None), seed=args.seed,
                        total_steps=args.total_steps, env_id=getattr(args, "env_id", None),
                        scope=args.scope, device=args.device, n_envs=args.n_envs,
                        vector_mode=args.vector_mode)
    entry.load_tensorflow()
    return launch.make_trainer(config, args.logdir, resume=args.resume, overwrite=args.overwrite,
                        progress=not args.no_progress)


def train(args) -> int:
    trainer, run_dir = make_trainer(args)
    try:
        history = trainer.run()
    finally:
        trainer.close()
    if trainer.scope_sink:
        print(trainer.scope_sink.describe())
    print(f"episodes: {len(history)}  last-10 mean return: {history.last_mean():.1f}")
    print(f"run directory: {run_dir}  (tensorboard --logdir {os.path.join(run_dir, 'tb')})")
    return 0


def reproduce(args) -> int:
    """A tutorial's preset: train, evaluate, record, check against its reference curve."""
    trainer, run_dir = make_trainer(args)
    from .reproduce import reproduce as run  # (TensorFlow: loaded by make_trainer)
    return 0 if run(trainer, run_dir) else 1


def evaluate(args) -> int:
    if args.episodes <= 0:
        raise UserError(f"--episodes must be positive, got {args.episodes}")
    if args.video:
        if not args.video.lower().endswith(".mp4"):
            raise UserError(f"--video writes MP4 files: name it FILE.mp4, not {args.video}")
        writable_file(args.video)
    entry.load_tensorflow()
    from .evaluation import evaluate as run_episodes, load_checkpoint_agent
    config, agent, env = load_checkpoint_agent(args.checkpoint)
    try:
        returns = run_episodes(agent, env, args.episodes)
        video = record_video(agent, config, args.video) if args.video else None
    finally:
        agent.close()
        envs.close(env)
    result = {"env_id": config.env_id, "preset": config.preset, "episodes": args.episodes,
              "mean_return": float(np.mean(returns)), "std_return": float(np.std(returns)),
              "returns": [float(r) for r in returns]}
    if video:
        result["video"] = {"path": video["path"], "frames": video["frames"]}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{config.env_id}: mean return {result['mean_return']:.1f} "
              f"± {result['std_return']:.1f} over {args.episodes} noise-free episodes")
        if video:
            print(f"video: {video['path']} ({video['frames']} frames)")
    return 0


def export(args) -> int:
    """The checkpoint's deterministic actor as a SavedModel or a frozen GraphDef."""
    entry.load_tensorflow()
    from .policy_export import check_target, export as write
    from .evaluation import load_checkpoint_agent
    check_target(args.out)  # before the checkpoint is loaded
    config, agent, env = load_checkpoint_agent(args.checkpoint)
    try:
        path = write(agent, args.out, args.format)
    finally:
        agent.close()
        envs.close(env)
    print(f"{args.format}: {path} (obs [N,{agent.obs_dim}] {config.dtype} -> action "
          f"[N,{len(agent.action_low)}])")
    return 0


def compare(args) -> int:
    """Pass (exit 0) or fail (exit 1) a run against a reference curve, by the rule in
    ``ddpg_graph/reference.py``; optionally plots both."""
    path = os.path.join(args.run_dir, "history.csv")
    if not os.path.exists(path):
        raise UserError(f"no history.csv in {args.run_dir}")
    if args.plot:
        writable_file(args.plot)
    reference = Reference.load(args.reference)
    history = History.load(path)
    verdict = check(history, reference)
    print(verdict.describe())
    if args.plot:
        try:
            plot(args.plot, history, reference, title=f"{args.run_dir} vs {args.reference}")
        except OSError as exc:
            raise UserError(f"cannot write the plot {args.plot}: {exc.strerror or exc}") from None
        print(f"plot: {args.plot}")
    return 0 if verdict.passed else 1


def sweep(args) -> int:
    """Every seed × grid combination as a training run on Ray; exit 1 if any trial failed."""
    out, rows = run_sweep(args.preset, args.seeds, args.grid, out=args.out, address=args.address,
               cpus_per_run=args.cpus_per_run, max_failures=args.max_failures,
               overrides=args.overrides, progress=not args.no_progress)
    counts = collections.Counter(row["status"] for row in rows)
    print(f"{tally(counts)}; summary: {os.path.join(out, 'summary.csv')}  "
          f"(tensorboard --logdir {out})")
    return 0 if counts.get("finished", 0) == len(rows) else 1


def tune(args) -> int:
    """An Optuna study whose trials run on Ray; exit 0 once every trial has ended and one at
    least completed (exit 1: none did, so there is no best.json)."""
    space = load_space(args.space) if args.space else None
    out, rows = run_tune(args.preset, args.trials, sampler=args.sampler, pruner=args.pruner,
                         space=space, out=args.out, address=args.address,
                         cpus_per_run=args.cpus_per_run, overrides=args.overrides, seed=args.seed,
                         startup_trials=args.startup_trials, progress=not args.no_progress)
    counts = collections.Counter(row["status"] for row in rows)
    best = (f", best config: {os.path.join(out, 'best.json')}" if counts.get("finished")
            else ", no trial finished: no best config")
    print(f"{tally(counts)}; {os.path.join(out, 'trials.csv')}{best}  (tensorboard --logdir {out})")
    return 0 if counts.get("finished") else 1


def config(args) -> int:
    """Every config key: its value in the preset (or the defaults) and its meaning."""
    values = (Config.from_preset(args.preset) if args.preset else Config()).to_dict()
    if args.json:
        print(json.dumps(values, sort_keys=True))
        return 0
    width = max(len(key) for key in values)
    for key, meaning in Config.describe().items():
        value = values[key]
        text = ",".join(map(str, value)) if isinstance(value, list) else (
            json.dumps(value) if isinstance(value, dict) else str(value))
        print(f"{key:<{width}}  {text:<20}  {meaning}")
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m ddpg_graph",
                     description="DDPG as static TensorFlow graphs on Gymnasium.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    p = commands.add_parser("train", help="train an agent from a preset",
                            description="Train a DDPG agent; writes TensorBoard logs, history.csv "
                                        "and checkpoints into the run directory.")
    p.add_argument("--preset", help=f"one of: {', '.join(sorted(PRESETS))} (required unless "
                                    f"--resume or --config)")
    p.add_argument("--config", dest="config_file", metavar="FILE",
                   help="a whole config (a run's config.json, tune's best.json) instead of a preset")
    p.add_argument("--env", dest="env_id",
                   help="a Gymnasium id; gym:ID for the old gym package's ID; package.module:ID to "
                        "import package.module (which registers ID) first (default: the preset's)")
    add_run_options(p)
    p.set_defaults(func=train)

    p = commands.add_parser("evaluate", help="run a checkpoint's policy without noise",
                            description="Evaluate a saved policy without exploration noise.")
    p.add_argument("--checkpoint", required=True,
                   help="a run directory (uses its latest checkpoint) or a checkpoint directory")
    p.add_argument("--episodes", type=int, default=10, help="episodes to run (default 10)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON line")
    p.add_argument("--video", metavar="FILE.mp4",
                   help="also render one noise-free episode to this MP4 file")
    p.set_defaults(func=evaluate)

    p = commands.add_parser("export", help="write the trained policy as a SavedModel or GraphDef",
                            description="Write a checkpoint's deterministic actor: a TF2-loadable "
                                        "SavedModel (signature serving_default: obs -> action) "
                                        "or, for TF1 code, a frozen GraphDef (OUT/policy.pb, "
                                        "obs:0 -> action:0).")
    p.add_argument("--checkpoint", required=True,
                   help="a run directory (uses its latest checkpoint) or a checkpoint directory")
    p.add_argument("--out", required=True, help="the directory to write")
    p.add_argument("--format", choices=("saved_model", "graphdef"), default="saved_model")
    p.set_defaults(func=export)

    p = commands.add_parser("compare", help="check a run against a reference reward curve",
                            description="Pass (exit 0) or fail (exit 1) a run against a reference "
                                        "curve: its smoothed return must stay inside the widened "
                                        "10-90%% band for 80%% of the episodes and its last-10 "
                                        "mean must reach the widened band's lower edge.")
    p.add_argument("run_dir", help="a run directory (holding history.csv)")
    p.add_argument("--reference", required=True,
                   help="a preset name (reproduce/references/NAME.csv) or a CSV path")
    p.add_argument("--plot", metavar="FILE.png", help="also plot the run against the reference")
    p.set_defaults(func=compare)

    p = commands.add_parser("sweep", help="train every seed x grid combination on Ray",
                            description="Seed and hyperparameter sweeps on Ray: every combination "
                                        "of --seeds and --grid values is one training run with its "
                                        "own run directory under --out; summary.csv has one row "
                                        "per trial. The same command again skips finished trials "
                                        "and resumes the others.")
    p.add_argument("--preset", required=True, help=f"one of: {', '.join(sorted(PRESETS))}")
    p.add_argument("--seeds", default="0", help="seeds, e.g. 0-9 or 0,2,5 (default 0)")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                   help="values to sweep for a config key (repeatable); separate values with ';' "
                        "when they hold commas: actor_hidden=64,64;400,300")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="a config override for every trial (repeatable)")
    p.add_argument("--out", help="the sweep directory (default: runs/sweep-PRESET-HASH, the same "
                                 "for the same command)")
    p.add_argument("--address", help="a running Ray cluster (e.g. 10.0.0.1:6379 or auto); default: "
                                     "a local Ray instance on this machine's cores")
    p.add_argument("--cpus-per-run", type=int, default=1,
                   help="CPUs each trial reserves, and its TensorFlow threads per pool (default 1)")
    p.add_argument("--max-failures", type=int, default=2,
                   help="reruns of a trial whose process or node dies; each resumes from the "
                        "trial's last checkpoint (default 2)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=sweep)

    p = commands.add_parser("tune", help="search hyperparameters with Optuna, trials on Ray",
                            description="An Optuna study (TPE or random sampling, a median pruner "
                                        "on the evaluations) whose trials are training runs on Ray, "
                                        "each in its own run directory under --out; trials.csv, "
                                        "best.json and plots there. The same command again goes on "
                                        "with the same study.")
    p.add_argument("--preset", required=True, help=f"one of: {', '.join(sorted(PRESETS))}")
    p.add_argument("--trials", type=int, required=True, help="trials the study holds when done")
    p.add_argument("--sampler", choices=SAMPLERS, default="tpe")
    p.add_argument("--pruner", choices=PRUNERS, default="median")
    p.add_argument("--space", metavar="FILE", help="a search space (JSON or YAML) instead of the "
                                                   "default, rl-zoo3's DDPG space")
    p.add_argument("--startup-trials", type=int, default=5,
                   help="trials sampled at random, and never pruned, before TPE and the pruner "
                        "start (default 5)")
    p.add_argument("--seed", type=int, default=0, help="the sampler's seed and every trial's (default 0)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="a config override for every trial (repeatable), e.g. total_steps=20000")
    p.add_argument("--out", help="the tune directory (default: runs/tune-PRESET-HASH, the same "
                                 "for the same command)")
    p.add_argument("--address", help="a running Ray cluster; default: a local Ray instance")
    p.add_argument("--cpus-per-run", type=int, default=1,
                   help="CPUs each trial reserves, and its TensorFlow threads per pool (default 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=tune)

    p = commands.add_parser("config", help="list every config key, its value and its meaning",
                            description="Every config key (what --set takes), its value in the "
                                        "preset (default: the defaults) and its meaning.")
    p.add_argument("--preset", choices=sorted(PRESETS))
    p.add_argument("--json", action="store_true", help="the values as one JSON object")
    p.set_defaults(func=config)

    p = commands.add_parser("reproduce", help="reproduce a tutorial (what reproduce/*.py run)",
                            description="Train a tutorial's preset, evaluate it without noise, "
                                        "record a video and check the run against the preset's "
                                        "reference curve and target (exit 1 if it misses).")
    p.add_argument("preset", choices=sorted(PRESETS))
    add_run_options(p)
    p.set_defaults(func=reproduce)
    return parser


FLAG_HINTS = {RunDirNotEmpty: "; pass --resume to continue its run, --overwrite to replace it, "
                             "or choose another --logdir"}


def main(argv=None) -> int:
    def dispatch():  # (inside run_safely: Ctrl-C while TensorFlow loads is one line too)
        args = make_parser().parse_args(argv)
        return args.func(args)

    return entry.run_safely(dispatch, hints=FLAG_HINTS)


def tally(counts: collections.Counter) -> str:
    """``"3 finished, 1 failed"``: how many trials ended in each state, by state name."""
    return ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))


def writable_file(path: str) -> str:
    """``path`` if a file can be made there (its directory exists and is writable), checked
    before any work is done; else one ``UserError`` line. Nothing is created."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UserError(f"cannot write {path}: {directory} is not a directory")
    if not os.access(directory, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        read_only = os.statvfs(directory).f_flag & os.ST_RDONLY
        raise UserError(f"cannot write {path}: "
                        f"{'read-only file system' if read_only else 'permission denied'}")
    if os.path.isdir(path):
        raise UserError(f"cannot write {path}: it is a directory")
    return path
