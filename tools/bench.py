"""ddpg_graph against Stable-Baselines3 and SBX (SB3 on JAX) DDPG here: ``python tools/bench.py``.

Needs the bench extra: ``pip install -r requirements.txt -e .[bench]`` (torch 2.13.0 CPU,
stable-baselines3 2.9.2, sbx-rl 0.28 with JAX's CPU build, scipy). Every measurement runs in a
fresh process of its own, and the table goes to ``benchmarks/bench-DATE.{json,md}`` (and
``benchmarks/latest.*``). Three phases:

1. the roofline, alone on the machine: the matmul rate on one pinned core and on two, and
   ddpg_graph's isolated update rate in the same two places;
2. two cores each: short ``zoo`` runs (``zoo_short``), one library at a time with the machine
   to itself, the three taking turns (the order rotating every round), for steps/s only;
3. one core each: the full ``zoo`` runs (steps/s and evaluation return), then the ``emami``
   runs, two processes at a time, each pinned to its own core (``os.sched_setaffinity``
   before any library loads, which is also the only way to hold JAX to one core) with one
   thread (TensorFlow's pools, torch's); each seed's runs are paired so that every library
   meets every other and sits on both cores in turn. Last, the memory run.

- ``zoo``: rl-zoo3's Pendulum-v1 settings (400-300, batch 256, Adam 1e-3, gamma 0.98,
  tau 0.005, 10k random warm-up steps, Gaussian 0.1, 20k steps), one run per seed and side.
  Learning-phase env steps/s are timed from step 10,000 to the end; updates/s is the time
  inside the update calls; the deterministic evaluation return is the mean of 10 episodes on
  Pendulum-v1 with the same reset seeds on every side.
- ``emami``: batch 64, Adam 1e-4 (actor) / 1e-3 (critic), gamma 0.99, tau 0.001, OU noise,
  3,000 steps, timed from step 1,000. The peers' critics concatenate the action at the input
  where Emami's joins the second layer: the same FLOPs to within 0.1%.
- roofline: the float32 matmul rate of a 256x400 @ 400x300 product in a TensorFlow graph, over
  the FLOPs of one batch-256 ``zoo`` update counted from the layer shapes (``update_flops``);
  the fraction is ddpg_graph's isolated ``Agent.train`` rate over that bound, with the
  ``zoo`` preset's engine settings on two cores and one thread (and one tower) on one.
- memory: peak RSS of an ``emami`` process whose 1e6-transition replay buffer is full, that
  trains and writes a checkpoint.
"""
import argparse
import datetime
import functools
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import NamedTuple, Optional

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the environment each measurement starts with: the driver's before TensorFlow's import set its
# variables (TF2_BEHAVIOR, OpenCV's LD_LIBRARY_PATH, ...; inherited, they cost each worker
# ~200 MiB of peak RSS)
CLEAN_ENV = dict(os.environ)
EVAL_EPISODES = 10
EVAL_SEED = 10_000
# What each setting measures: a preset (every hyperparameter, for every library: ddpg_graph
# runs its Config, and ddpg_graph.peers builds SB3's and SBX's DDPG from the same Config), on
# Pendulum-v1, for ``steps`` env steps, timed from ``timed_from``.
SETTINGS = {
    "zoo": dict(preset="zoo", steps=20_000, timed_from=10_000),
    "emami": dict(preset="emami", steps=3_000, timed_from=1_000),
}
# the zoo settings with a 1,000-step warm-up and 1,800 timed steps: for speed only
SETTINGS["zoo_short"] = dict(SETTINGS["zoo"], steps=2_800, timed_from=1_000, learning_starts=1_000)


# -- shared ------------------------------------------------------------------------------------
def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def evaluate(policy, seed: int) -> float:
    """Mean return of ``EVAL_EPISODES`` episodes of ``policy(obs) -> action`` on Pendulum-v1,
    reset with the same seeds whichever library is measured."""
    import gymnasium as gym
    env = gym.make("Pendulum-v1")
    returns = []
    for episode in range(EVAL_EPISODES):
        obs, _ = env.reset(seed=EVAL_SEED + 100 * seed + episode)
        total, finished = 0.0, False
        while not finished:
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            total += float(reward)
            finished = terminated or truncated
        returns.append(total)
    return statistics.mean(returns)


def layer_shapes(inputs: int, hidden, outputs: int):
    widths = [inputs, *hidden, outputs]
    return list(zip(widths[:-1], widths[1:]))


def update_flops(obs_dim: int, action_dim: int, actor_hidden, critic_hidden, batch: int) -> float:
    """Matmul FLOPs of one DDPG update with a concatenated-input critic.

    With F(net) = 2 B sum(m n) the FLOPs of one forward pass: the target (actor' + critic'
    forward) is F_pi + F_q; the critic step is F_q forward + F_q for dL/dW + F_q for dL/dx;
    the actor step is F_pi + F_q forward, F_q back to the action, F_pi for dW and F_pi for dx.
    In all 4 F_pi + 6 F_q (biases, activations and the Adam and soft updates are O(params))."""
    def forward(shapes):
        return 2.0 * batch * sum(m * n for m, n in shapes)
    f_pi = forward(layer_shapes(obs_dim, actor_hidden, action_dim))
    f_q = forward(layer_shapes(obs_dim + action_dim, critic_hidden, 1))
    return 4 * f_pi + 6 * f_q


# -- workers: each prints one JSON line ------------------------------------------------------
def quicken(factor: int) -> None:
    from ddpg_graph.config import Config
    for s in SETTINGS.values():
        starts = s.get("learning_starts") or Config.from_preset(s["preset"]).learning_starts
        s["learning_starts"] = max(starts // factor, 64)
        s["timed_from"] = max(s["timed_from"] // factor // 200 * 200, 200)
        s["steps"] = max(s["steps"] // factor // 200 * 200, s["timed_from"] + 400)


def thread_settings(threads: int) -> dict:
    """Config values for ``threads`` in both TF pools and one tower; none for 0 (the
    preset's own engine settings)."""
    return {"intra_op_threads": threads, "inter_op_threads": threads, "towers": 1} if threads else {}


def graph_config(setting: str, seed: int, overrides=(), threads: int = 0):
    """The config of ``setting`` for every library (``overrides``: ddpg_graph's own, e.g. a
    side's ``matmul_precision``); ``threads`` > 0 sets both TF thread pools."""
    from ddpg_graph.config import Config, parse_overrides
    s = SETTINGS[setting]
    values = dict(seed=seed, total_steps=s["steps"], eval_every_steps=0, checkpoint_every_steps=0,
                  env_id="Pendulum-v1")  # (emami's Pendulum-v0 is v1 too, by another name)
    if "learning_starts" in s:  # a shortened warm-up: random actions until then, as SB3 does
        values.update(learning_starts=s["learning_starts"], warmup_steps=s["learning_starts"])
    values.update(thread_settings(threads))
    values.update(parse_overrides(overrides))
    return Config.from_preset(s["preset"], **values)


class UpdateClock:
    """A trainer callback: the wall time of the update calls (each ``session.run`` that
    trained, which also chose the action) and how many updates they made; and the
    learning phase's env steps/s, timed from ``timed_from``."""

    def __init__(self, timed_from: int = 0):
        self.seconds, self.updates = 0.0, 0
        self.timed_from, self.started = timed_from, None  # (step, time) once it is reached

    def on_update(self, trainer, stats):
        self.seconds += stats["seconds"]
        self.updates += stats["updates"]

    def on_step(self, trainer):
        """The learning phase starts at the first vector step that reaches ``timed_from``
        (with n_envs envs, the step count goes by N)."""
        if self.started is None and trainer.step >= self.timed_from:
            self.started = (trainer.step, time.perf_counter())

    def steps_per_s(self, step: int) -> float:
        return (step - self.started[0]) / (time.perf_counter() - self.started[1])


def graph_worker(setting: str, seed: int, overrides, threads: int) -> dict:
    from ddpg_graph.runner import Trainer
    config = graph_config(setting, seed, overrides, threads)
    clock = UpdateClock(SETTINGS[setting]["timed_from"])
    with tempfile.TemporaryDirectory() as run_dir:
        with Trainer(config, run_dir, progress=False, overwrite=True, callbacks=[clock]) as trainer:
            trainer.run()
            steps_per_s = clock.steps_per_s(trainer.step)
            eval_return = evaluate(trainer.agent.act, seed)
    return {"steps_per_s": steps_per_s, "updates_per_s": clock.updates / clock.seconds,
            "eval_return": eval_return, "peak_rss_mib": peak_rss_mib()}


def peer_worker(library: str, setting: str, seed: int, overrides, threads: int) -> dict:
    """Stable-Baselines3's (``sb3``) or SBX's (``sbx``) DDPG on the setting's config
    (``ddpg_graph.peers``; ``overrides`` are ddpg_graph's engine settings: unused)."""
    import gymnasium as gym
    import torch
    from stable_baselines3.common.callbacks import BaseCallback
    from ddpg_graph import peers
    if threads:
        torch.set_num_threads(threads)
    config = graph_config(setting, seed)
    s = SETTINGS[setting]
    clock = UpdateClock()  # the time inside the library's own update calls
    model = peers.make(library, config, gym.make(config.env_id), on_train=lambda seconds, updates:
                       clock.on_update(None, {"seconds": seconds, "updates": updates}))

    class Clock(BaseCallback):
        started = None

        def _on_step(self):
            if self.num_timesteps == s["timed_from"]:
                self.started = time.perf_counter()
            return True

    timer = Clock()
    model.learn(total_timesteps=s["steps"], callback=timer)
    ended = time.perf_counter()
    eval_return = evaluate(lambda obs: model.predict(obs, deterministic=True)[0], seed)
    return {"steps_per_s": (s["steps"] - s["timed_from"]) / (ended - timer.started),
            "updates_per_s": clock.updates / clock.seconds, "eval_return": eval_return,
            "peak_rss_mib": peak_rss_mib(), "cores": len(os.sched_getaffinity(0))}


def roofline_worker(setting: str, seed: int, overrides, threads: int) -> dict:
    """The matmul rate and the isolated update rate with ``threads`` (1: one thread and one
    tower, run pinned to one core; 0: the preset's engine settings on the whole machine)."""
    import numpy as np
    import tensorflow as tf
    from ddpg_graph.agent import Agent
    tf1 = tf.compat.v1
    config = graph_config(setting, seed, overrides, threads)
    pools = dict(intra_op_parallelism_threads=config.intra_op_threads,
                 inter_op_parallelism_threads=config.inter_op_threads)
    # the machine's matmul rate: 32 independent 256x400 @ 400x300 products per run, over as
    # many threads as the update has in all
    graph = tf.Graph()
    with graph.as_default():
        x = tf.constant(np.random.default_rng(0).standard_normal((256, 400)), tf.float32)
        w = tf1.get_variable("w", [400, 300], tf.float32, use_resource=True)
        # (summed into one fetch: a tf.group of them was pruned away by the graph optimiser)
        products = tf.add_n([tf.reduce_sum(tf.matmul(x + float(i), w)) for i in range(32)])
        init = tf1.global_variables_initializer()
    cores = len(os.sched_getaffinity(0))
    with tf1.Session(graph=graph, config=tf1.ConfigProto(intra_op_parallelism_threads=cores,
                                                         inter_op_parallelism_threads=1)) as session:
        session.run(init)
        run = session.make_callable(products)
        rates = []
        for _ in range(7):
            start = time.perf_counter()
            for _ in range(20):
                run()
            rates.append(20 * 32 * 2 * 256 * 400 * 300 / (time.perf_counter() - start))
    matmul_rate = statistics.median(rates)
    # the isolated update rate of the setting's agent at its batch size
    obs_dim, action_dim, batch = 3, 1, config.batch_size
    agent = Agent(config, obs_dim, -2 * np.ones(1), 2 * np.ones(1), seed=seed)
    rng = np.random.default_rng(seed)
    batches = [{"s": rng.standard_normal((batch, obs_dim), np.float32),
                "a": rng.uniform(-2, 2, (batch, action_dim)).astype(np.float32),
                "r": rng.standard_normal((batch, 1), np.float32),
                "done": np.zeros((batch, 1), np.float32),
                "s2": rng.standard_normal((batch, obs_dim), np.float32)} for _ in range(8)]
    for i in range(50):
        agent.train(batches[i % 8])
    rates = []
    for _ in range(5):
        start = time.perf_counter()
        for i in range(100):
            agent.train(batches[i % 8])
        rates.append(100 / (time.perf_counter() - start))
    flops = update_flops(obs_dim, action_dim, config.actor_hidden, config.critic_hidden, batch)
    updates_per_s = statistics.median(rates)
    return {"cores": cores, "towers": config.towers, "intra_op_threads": pools["intra_op_parallelism_threads"],
            "inter_op_threads": pools["inter_op_parallelism_threads"],
            "matmul_gflops": matmul_rate / 1e9, "update_gflop": flops / 1e9,
            "roofline_updates_per_s": matmul_rate / flops, "updates_per_s": updates_per_s,
            "fraction": updates_per_s * flops / matmul_rate}


def memory_worker(setting: str, seed: int, overrides, threads: int) -> dict:
    import numpy as np
    from ddpg_graph.runner import Trainer
    from ddpg_graph.config import Config
    config = Config.from_preset("emami", seed=seed, total_steps=600, eval_every_steps=0,
                                checkpoint_every_steps=0, buffer_size=1_000_000,
                                **thread_settings(threads))
    with tempfile.TemporaryDirectory() as run_dir:
        with Trainer(config, run_dir, progress=False, overwrite=True) as trainer:
            rng = np.random.default_rng(seed)
            n = 1_000_000  # a full buffer, as after a 1e6-step run
            s = rng.standard_normal((n, 3)).astype(np.float32)
            trainer.buffer.add_batch(s, rng.uniform(-2, 2, (n, 1)), -np.ones(n), np.zeros(n),
                                     np.roll(s, 1, axis=0))
            del s
            trainer.run()  # 600 steps: acting, training, then the final checkpoint
    return {"buffer": 1_000_000, "peak_rss_mib": peak_rss_mib()}


WORKERS = {"graph": graph_worker, "sb3": functools.partial(peer_worker, "sb3"),
           "sbx": functools.partial(peer_worker, "sbx"),
           "roofline": roofline_worker, "memory": memory_worker}
PEERS = ("sb3", "sbx")
OURS = ("ddpg_graph", "ddpg_graph bf16")
# side -> (worker, the side's own ddpg_graph overrides); bfloat16 matmuls where the CPU has them
SIDES = {"ddpg_graph": ("graph", ()), "sb3": ("sb3", ()), "sbx": ("sbx", ())}


def cpu_has_bfloat16() -> bool:
    """AVX512-BF16 or AMX-BF16: oneDNN's bfloat16 matmuls run natively."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


if cpu_has_bfloat16():
    SIDES["ddpg_graph bf16"] = ("graph", ("matmul_precision=bfloat16",))


def measurement(side: str, setting: str, seed: int, overrides) -> "Measurement":
    kind, own = SIDES[side]
    return Measurement(kind, setting, seed, tuple(overrides) + own if kind == "graph" else ())


def worker_main(kind: str, setting: str, seed: int, overrides, threads: int, core) -> int:
    if core is not None:  # before TensorFlow, torch or JAX size their thread pools
        os.sched_setaffinity(0, {core})
    from ddpg_graph.entry import load_tensorflow
    load_tensorflow()
    print(json.dumps(WORKERS[kind](setting, seed, overrides, threads)), flush=True)
    return 0


# -- the driver -------------------------------------------------------------------------------
class Measurement(NamedTuple):
    """One fresh worker process: which worker, on which setting and seed, with which
    ddpg_graph overrides; ``core``: pinned there with one thread (None: the whole machine)."""
    kind: str
    setting: str
    seed: int
    overrides: tuple = ()
    core: Optional[int] = None

    def command(self, quick: bool) -> list:
        command = [sys.executable, os.path.abspath(__file__), "--worker", self.kind, "--setting",
                   self.setting, "--seed", str(self.seed)]
        command += [x for o in self.overrides for x in ("--set", o)] + (["--quick"] if quick else [])
        return command + ([] if self.core is None else ["--threads", "1", "--core", str(self.core)])

    def label(self) -> str:
        where = "whole machine" if self.core is None else f"core {self.core}"
        extra = f" [{' '.join(self.overrides)}]" if self.overrides else ""
        return f"{self.kind:8s} {self.setting:9s} seed {self.seed} ({where}){extra}"


def start(measurement: Measurement, quick: bool):
    env = dict(CLEAN_ENV)
    if measurement.core is not None:
        env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.Popen(measurement.command(quick), cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def report(measurement: Measurement, process, started: float) -> dict:
    out, err = process.communicate()
    if process.returncode:
        sys.stderr.write(err[-3000:])
        raise SystemExit(f"error: the {' '.join(measurement.label().split())} measurement failed")
    result = json.loads(out.strip().splitlines()[-1])
    print(f"  {measurement.label()}: " + ", ".join(
        f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items())
        + f" ({time.time() - started:.0f} s)", flush=True)
    return result


def run_together(measurements, quick: bool) -> list:
    """Starts ``measurements`` at once (at most one per core) and returns their results."""
    started = time.time()
    processes = [start(m, quick) for m in measurements]
    return [report(m, p, started) for m, p in zip(measurements, processes)]


def run_pinned(measurements, quick: bool) -> list:
    """``measurements`` two at a time, one per core, in order (the last alone if odd)."""
    cores = sorted(os.sched_getaffinity(0))[:2]
    results = []
    for i in range(0, len(measurements), len(cores)):
        group = [m._replace(core=core) for m, core in zip(measurements[i:i + len(cores)], cores)]
        results += run_together(group, quick)
    return results


def spread(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def summarise(runs: dict, seeds, keys) -> dict:
    """Spreads of ``keys`` per side, and per seed for the speeds the ratio of ddpg_graph's
    to the faster peer's (``ratio``) and to each peer's (``ratio_sb3``, ``ratio_sbx``)."""
    out = {"seeds": list(seeds)}
    for key in keys:
        out[key] = {side: spread([r[key] for r in rs]) for side, rs in runs.items()}
        out[key]["runs"] = {side: [r[key] for r in rs] for side, rs in runs.items()}
        if key in ("steps_per_s", "updates_per_s"):
            best = [max(rs) for rs in zip(*[[r[key] for r in runs[p]] for p in PEERS])]
            for side in (s for s in OURS if s in runs):
                ours = [r[key] for r in runs[side]]
                suffix = "" if side == "ddpg_graph" else "_bf16"
                out[key]["ratio" + suffix] = spread([a / b for a, b in zip(ours, best)])
                for peer in PEERS:
                    out[key][f"ratio{suffix}_{peer}"] = spread([a / r[key] for a, r in
                                                                zip(ours, runs[peer])])
    return out


def rotated(sides, i: int) -> list:
    return list(sides[i % len(sides):]) + list(sides[:i % len(sides)])


def whole_machine(setting: str, seeds, overrides, quick: bool) -> dict:
    """Phase 2: one library at a time with both cores, the order rotating each round."""
    runs = {side: [] for side in SIDES}
    for i, seed in enumerate(seeds):
        for side in rotated(list(SIDES), i):
            runs[side] += run_together([measurement(side, setting, seed, overrides)], quick)
    return summarise(runs, seeds, ("steps_per_s", "updates_per_s"))


def one_core_each(zoo_seeds, emami_seeds, overrides, quick: bool) -> dict:
    """Phase 3: every setting's runs two at a time, pinned; within a setting, round i runs the
    sides rotated by i, so that each pair of libraries meets and each one sits on both cores."""
    out = {}
    for setting, seeds in (("zoo", zoo_seeds), ("emami", emami_seeds)):
        sides = [side for i in range(len(seeds)) for side in rotated(list(SIDES), i)]
        seed_of = [seed for seed in seeds for _ in SIDES]
        results = run_pinned([measurement(side, setting, seed, overrides)
                              for side, seed in zip(sides, seed_of)], quick)
        runs = {side: [] for side in SIDES}
        for side, result in zip(sides, results):
            runs[side].append(result)
        out[setting] = summarise(runs, seeds, ("steps_per_s", "updates_per_s", "eval_return",
                                               "peak_rss_mib"))
    from scipy.stats import mannwhitneyu
    e = out["zoo"]["eval_return"]
    for side in (s for s in OURS if s in SIDES):
        suffix = "" if side == "ddpg_graph" else "_bf16"
        for peer in PEERS:  # H1: this side's returns are lower
            e[f"mann_whitney_p_worse{suffix}_{peer}"] = float(mannwhitneyu(
                e["runs"][side], e["runs"][peer], alternative="less").pvalue)
    out["memory"] = run_together([Measurement("memory", "emami", 0)], quick)[0]
    return out


def machine() -> dict:
    import importlib.metadata
    info = {"date": datetime.date.today().isoformat(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "processor": _cpu_name()}
    for package in ("tensorflow", "numpy", "torch", "stable-baselines3", "sbx-rl", "jax"):
        try:
            info[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return info


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor()


def markdown(result: dict) -> str:
    m = result["machine"]
    bf16 = "ddpg_graph bf16" in result["zoo"]["steps_per_s"]
    lines = [f"ddpg_graph vs Stable-Baselines3 and SBX DDPG, {m['date']}: {m['processor']}, "
             f"{m['cpus']} CPUs, Python {m['python']}, TensorFlow {m.get('tensorflow')}, torch "
             f"{m.get('torch')}, SB3 {m.get('stable-baselines3')}, SBX {m.get('sbx-rl')} (JAX "
             f"{m.get('jax')}); {result['wall_time_s'] / 60:.1f} min in all. Min / median / max "
             "over the runs; ratios per seed, against the faster peer of the same seed."
             + (" bf16: ddpg_graph with matmul_precision=bfloat16." if bf16 else ""), "",
             "| setting | measure | ddpg_graph | SB3 | SBX | ours / faster peer | "
             + ("bf16 | bf16 / faster peer | " if bf16 else "") + "target |",
             "| --- " * (9 if bf16 else 7) + "|"]

    def cell(s):
        return f"{s['min']:.0f} / **{s['median']:.0f}** / {s['max']:.0f}"

    def ratio(s):
        return f"{s['min']:.2f} / **{s['median']:.2f}** / {s['max']:.2f}"

    def speed_rows(r, name, how):
        n = len(r["seeds"])
        for key, label in (("steps_per_s", "learning-phase env steps/s"),
                           ("updates_per_s", "updates/s inside the update call")):
            target = "≥ 1.5×" if key == "steps_per_s" else ""
            extra = (f"{cell(r[key]['ddpg_graph bf16'])} | {ratio(r[key]['ratio_bf16'])} | "
                     if "ddpg_graph bf16" in r[key] else "| | " * bf16)
            lines.append(f"| `{name}`, {how} ({n} runs) | {label} | {cell(r[key]['ddpg_graph'])} | "
                         f"{cell(r[key]['sb3'])} | {cell(r[key]['sbx'])} | {ratio(r[key]['ratio'])} "
                         f"| {extra}{target} |")

    speed_rows(result["zoo"], "zoo", "one core each")
    speed_rows(result["emami"], "emami", "one core each")
    if result.get("zoo_short"):
        speed_rows(result["zoo_short"], "zoo", "two cores each, 1,800 steps")
    e = result["zoo"]["eval_return"]
    lines.append(f"| `zoo`, one core each | deterministic eval return after 20k steps | "
                 f"{cell(e['ddpg_graph'])} | {cell(e['sb3'])} | {cell(e['sbx'])} | Mann-Whitney "
                 f"p(ddpg_graph worse): {e['mann_whitney_p_worse_sb3']:.2f} vs SB3, "
                 f"{e['mann_whitney_p_worse_sbx']:.2f} vs SBX | "
                 + (f"{cell(e['ddpg_graph bf16'])} | p(bf16 worse): "
                    f"{e['mann_whitney_p_worse_bf16_sb3']:.2f} vs SB3, "
                    f"{e['mann_whitney_p_worse_bf16_sbx']:.2f} vs SBX | " if bf16 else "")
                 + "not worse |")
    rss = result["zoo"]["peak_rss_mib"]
    lines.append(f"| `zoo` | peak RSS, MiB | {cell(rss['ddpg_graph'])} | {cell(rss['sb3'])} | "
                 f"{cell(rss['sbx'])} | | " + (f"{cell(rss['ddpg_graph bf16'])} | | " if bf16 else "")
                 + "|")
    for roof, target in ((result["roofline_one_core"], "≥ 75%"), (result["roofline"], "≥ 60%")):
        how = (f"{roof['cores']} core{'s' if roof['cores'] > 1 else ''}, {roof['towers']} "
               f"tower{'s' if roof['towers'] > 1 else ''}, {roof['intra_op_threads']}/"
               f"{roof['inter_op_threads']} intra/inter-op threads")
        lines.append(f"| `zoo` batch 256, {how} | isolated updates/s vs the matmul bound | "
                     f"{roof['updates_per_s']:.0f} | | | {roof['fraction']:.0%} of "
                     f"{roof['roofline_updates_per_s']:.0f}/s ({roof['matmul_gflops']:.0f} GFLOP/s ÷ "
                     f"{roof['update_gflop']:.3f} GFLOP) | " + ("| | " if bf16 else "") + f"{target} |")
    mem = result["memory"]
    lines.append(f"| `emami`, 1e6-transition buffer full | peak RSS, MiB | {mem['peak_rss_mib']:.0f} "
                 "| | | | " + ("| | " if bf16 else "") + "< 1024 |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=6, help="zoo runs per side (default 6)")
    parser.add_argument("--emami-repeats", type=int, default=3)
    parser.add_argument("--two-core-repeats", type=int, default=3,
                        help="zoo_short rounds on two cores (default 3; 0: none)")
    parser.add_argument("--out", default=os.path.join(REPO, "benchmarks"))
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="ddpg_graph config override for its runs (KEY=VALUE)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: a tenth of the steps, 3 seeds, 1 repeat of the rest")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--setting", default="zoo", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--core", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        quicken(10)
        args.seeds, args.emami_repeats = min(args.seeds, 3), 1
        args.two_core_repeats = min(args.two_core_repeats, 1)
        args.out = os.path.join(args.out, "quick")
    if args.worker:
        return worker_main(args.worker, args.setting, args.seed, args.overrides, args.threads,
                           args.core)
    from ddpg_graph.entry import load_tensorflow
    load_tensorflow()
    missing = [name for name in ("sbx", "scipy", "stable_baselines3", "torch")
               if importlib.util.find_spec(name) is None]
    if missing:
        print(f"error: {', '.join(missing)} missing; install the bench extra: "
              "pip install -r requirements.txt -e .[bench]", file=sys.stderr)
        return 2
    if len(os.sched_getaffinity(0)) < 2:
        print("error: the benchmark needs two cores (one per process in phase 3)", file=sys.stderr)
        return 2
    started = time.time()
    result = {"machine": machine(), "overrides": args.overrides}
    print("1. the roofline, alone: one pinned core, then the whole machine", flush=True)
    result["roofline_one_core"] = run_pinned([Measurement("roofline", "zoo", 0, tuple(args.overrides))],
                                             args.quick)[0]
    result["roofline"] = run_together([Measurement("roofline", "zoo", 0, tuple(args.overrides))],
                                      args.quick)[0]
    if args.two_core_repeats:
        print("2. zoo_short on two cores each, one library at a time", flush=True)
        result["zoo_short"] = whole_machine("zoo_short", range(args.two_core_repeats),
                                            args.overrides, args.quick)
    print("3. zoo, emami and memory on one core each, two at a time", flush=True)
    result.update(one_core_each(range(args.seeds), range(args.emami_repeats), args.overrides,
                                args.quick))
    result["wall_time_s"] = time.time() - started
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, f"bench-{result['machine']['date']}")
    table = markdown(result)
    for path in (stem, os.path.join(args.out, "latest")):
        with open(path + ".json", "w") as f:
            json.dump(result, f, indent=2)
        with open(path + ".md", "w") as f:
            f.write(table)
    print(table)
    print(f"wrote {stem}.json and .md in {result['wall_time_s'] / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
