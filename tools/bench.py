"""ddpg_graph against Stable-Baselines3 DDPG on this machine: ``python tools/bench.py``.

Needs the bench extra: ``pip install -r requirements.txt -e .[bench]`` (torch 2.13.0 CPU,
stable-baselines3 2.9.2, scipy). Every measurement runs in a fresh process of its own, and the
table goes to ``benchmarks/bench-DATE.{json,md}`` (and ``benchmarks/latest.*``). Three phases:

1. the roofline, alone on the machine;
2. two cores each: short ``zoo`` runs (``zoo_short``), the libraries alternating (ddpg_graph,
   SB3, ddpg_graph, SB3, ...), for steps/s only;
3. one core each: the full ``zoo`` runs (5 seeds a side, steps/s and evaluation return), the
   ``emami`` runs and the memory run, as Ray tasks of one CPU each (two at a time here), each
   a fresh process with one thread (TensorFlow's intra/inter-op pools, torch's). Each seed's
   two runs are submitted side by side. This is how a sweep runs its trials, both libraries
   see the machine in the same state, and it keeps the whole benchmark under 15 minutes
   (SB3's five 20k-step runs alone took 9 minutes on two cores, run one after another).

- ``zoo``: rl-zoo3's Pendulum-v1 settings (400-300, batch 256, Adam 1e-3, gamma 0.98,
  tau 0.005, 10k random warm-up steps, Gaussian 0.1, 20k steps), one run per seed and side.
  Learning-phase env steps/s are timed from step 10,000 to the end; updates/s is the time
  inside the update calls; the deterministic evaluation return is the mean of 10 episodes on
  Pendulum-v1 with the same reset seeds on both sides.
- ``emami``: batch 64, Adam 1e-4 (actor) / 1e-3 (critic), gamma 0.99, tau 0.001, OU noise,
  3,000 steps, timed from step 1,000. SB3's critic concatenates the action at its input where
  Emami's joins the second layer: the same FLOPs to within 0.1%.
- roofline: the float32 matmul rate of a 256x400 @ 400x300 product in a TensorFlow graph, over
  the FLOPs of one batch-256 ``zoo`` update counted from the layer shapes (``update_flops``);
  the fraction is ddpg_graph's isolated ``Agent.train`` rate over that bound.
- memory: peak RSS of an ``emami`` process whose 1e6-transition replay buffer is full, that
  trains and writes a checkpoint.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVAL_EPISODES = 10
EVAL_SEED = 10_000
SETTINGS = {
    "zoo": dict(steps=20_000, timed_from=10_000, batch=256, actor_lr=1e-3, critic_lr=1e-3,
                gamma=0.98, tau=0.005, buffer=200_000, learning_starts=10_000,
                noise=("normal", 0.1)),
    "emami": dict(steps=3_000, timed_from=1_000, batch=64, actor_lr=1e-4, critic_lr=1e-3,
                  gamma=0.99, tau=0.001, buffer=1_000_000, learning_starts=64,
                  noise=("ou", 0.15)),  # 0.3 in Pendulum's action units = 0.15 half ranges
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
    """``--quick``: every setting's step counts divided by ``factor`` (a smoke test), kept to
    whole 200-step episodes with at least two of them timed."""
    for s in SETTINGS.values():
        s["learning_starts"] = max(s["learning_starts"] // factor, 64)
        s["timed_from"] = max(s["timed_from"] // factor // 200 * 200, 200)
        s["steps"] = max(s["steps"] // factor // 200 * 200, s["timed_from"] + 400)


def thread_settings(threads: int) -> dict:
    """Config values for ``threads`` in both TF pools; none for 0 (the preset's own)."""
    return {"intra_op_threads": threads, "inter_op_threads": threads} if threads else {}


def graph_config(setting: str, seed: int, overrides, threads: int = 0):
    """The ddpg_graph config of ``setting``; ``threads`` > 0 sets both TF thread pools."""
    from ddpg_graph.config import Config, parse_overrides
    s = SETTINGS[setting]
    values = dict(seed=seed, total_steps=s["steps"], eval_every_steps=0, checkpoint_every_steps=0,
                  learning_starts=s["learning_starts"])
    if setting == "emami":
        values.update(env_id="Pendulum-v1")
    else:
        values.update(warmup_steps=s["learning_starts"])
    values.update(thread_settings(threads))
    values.update(parse_overrides(overrides))
    return Config.from_preset("emami" if setting == "emami" else "zoo", **values)


class UpdateClock:
    """A trainer callback: the wall time of the update calls (each ``session.run`` that
    trained, which also chose the action) and how many updates they made."""

    def __init__(self):
        self.seconds, self.updates = 0.0, 0

    def on_update(self, trainer, stats):
        self.seconds += stats["seconds"]
        self.updates += stats["updates"]


def graph_worker(setting: str, seed: int, overrides, threads: int) -> dict:
    from ddpg_graph.runner import Trainer
    config = graph_config(setting, seed, overrides, threads)
    timed_from = SETTINGS[setting]["timed_from"]
    clock = UpdateClock()
    with tempfile.TemporaryDirectory() as run_dir:
        with Trainer(config, run_dir, progress=False, overwrite=True, callbacks=[clock]) as trainer:
            trainer.run()
            rows = trainer.history.rows
            start = next(r for r in rows if r["step"] == timed_from)
            end = rows[-1]
            steps_per_s = (end["step"] - start["step"]) / (end["wall_time"] - start["wall_time"])
            eval_return = evaluate(trainer.agent.act, seed)
    return {"steps_per_s": steps_per_s, "updates_per_s": clock.updates / clock.seconds,
            "eval_return": eval_return, "peak_rss_mib": peak_rss_mib()}


def sb3_worker(setting: str, seed: int, overrides, threads: int) -> dict:
    import gymnasium as gym
    import numpy as np
    import torch
    if threads:
        torch.set_num_threads(threads)
    from stable_baselines3 import DDPG
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.noise import NormalActionNoise, OrnsteinUhlenbeckActionNoise

    s = SETTINGS[setting]

    class TimedDDPG(DDPG):
        """SB3's DDPG with the time inside ``train`` counted and separate learning rates
        for the actor and the critic (SB3 sets one rate on both at every ``train``)."""
        train_seconds, updates = 0.0, 0

        def _update_learning_rate(self, optimizers):
            for group in self.actor.optimizer.param_groups:
                group["lr"] = s["actor_lr"]
            for group in self.critic.optimizer.param_groups:
                group["lr"] = s["critic_lr"]

        def train(self, gradient_steps, batch_size=100):
            start = time.perf_counter()
            super().train(gradient_steps, batch_size)
            self.train_seconds += time.perf_counter() - start
            self.updates += gradient_steps

    class Clock(BaseCallback):
        started = None

        def _on_step(self):
            if self.num_timesteps == s["timed_from"]:
                self.started = time.perf_counter()
            return True

    env = gym.make("Pendulum-v1")
    zeros = np.zeros(env.action_space.shape)
    kind, sigma = s["noise"]
    noise = (NormalActionNoise(zeros, sigma + zeros) if kind == "normal"
             else OrnsteinUhlenbeckActionNoise(zeros, sigma + zeros, theta=0.15, dt=1.0))
    model = TimedDDPG("MlpPolicy", env, learning_rate=s["critic_lr"], buffer_size=s["buffer"],
                      learning_starts=s["learning_starts"], batch_size=s["batch"], tau=s["tau"],
                      gamma=s["gamma"], train_freq=1, gradient_steps=1, action_noise=noise,
                      policy_kwargs=dict(net_arch=[400, 300]), seed=seed, device="cpu")
    clock = Clock()
    model.learn(total_timesteps=s["steps"], callback=clock)
    ended = time.perf_counter()
    eval_return = evaluate(lambda obs: model.predict(obs, deterministic=True)[0], seed)
    return {"steps_per_s": (s["steps"] - s["timed_from"]) / (ended - clock.started),
            "updates_per_s": model.updates / model.train_seconds, "eval_return": eval_return,
            "peak_rss_mib": peak_rss_mib(), "torch_threads": torch.get_num_threads()}


def roofline_worker(setting: str, seed: int, overrides, threads: int) -> dict:
    import numpy as np
    import tensorflow as tf
    from ddpg_graph.agent import Agent
    tf1 = tf.compat.v1
    config = graph_config(setting, seed, overrides)
    threads = dict(intra_op_parallelism_threads=config.intra_op_threads,
                   inter_op_parallelism_threads=config.inter_op_threads)
    # the machine's matmul rate: 32 independent 256x400 @ 400x300 products per run
    graph = tf.Graph()
    with graph.as_default():
        x = tf.constant(np.random.default_rng(0).standard_normal((256, 400)), tf.float32)
        w = tf1.get_variable("w", [400, 300], tf.float32, use_resource=True)
        # (summed into one fetch: a tf.group of them was pruned away by the graph optimiser)
        products = tf.add_n([tf.reduce_sum(tf.matmul(x + float(i), w)) for i in range(32)])
        init = tf1.global_variables_initializer()
    with tf1.Session(graph=graph, config=tf1.ConfigProto(**threads)) as session:
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
    return {"matmul_gflops": matmul_rate / 1e9, "update_gflop": flops / 1e9,
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


WORKERS = {"graph": graph_worker, "sb3": sb3_worker, "roofline": roofline_worker,
           "memory": memory_worker}


def worker_main(kind: str, setting: str, seed: int, overrides, threads: int) -> int:
    from ddpg_graph.entry import quiet_tensorflow
    quiet_tensorflow()
    print(json.dumps(WORKERS[kind](setting, seed, overrides, threads)), flush=True)
    return 0


# -- the driver -------------------------------------------------------------------------------
def worker_command(kind: str, setting: str, seed: int, overrides=(), quick: bool = False,
                   threads: int = 0) -> list:
    command = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--setting",
               setting, "--seed", str(seed)] + [x for o in overrides for x in ("--set", o)]
    return command + (["--quick"] if quick else []) + (["--threads", str(threads)] if threads else [])


def report(label: str, returncode: int, out: str, err: str, seconds: float) -> dict:
    if returncode:
        sys.stderr.write(err[-3000:])
        raise SystemExit(f"error: the {' '.join(label.split())} measurement failed")
    result = json.loads(out.strip().splitlines()[-1])
    print(f"  {label}: " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                     for k, v in result.items()) + f" ({seconds:.0f} s)", flush=True)
    return result


def run_measurement(command: list, one_thread: bool) -> tuple:
    """Runs one measurement's command as a fresh process; its status, output and seconds."""
    env = dict(os.environ, **({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"} if one_thread else {}))
    started = time.time()
    done = subprocess.run(command, cwd=REPO, env=env, text=True, capture_output=True)
    return done.returncode, done.stdout, done.stderr, time.time() - started


def measure(kind: str, setting: str, seed: int, overrides=(), quick: bool = False) -> dict:
    """One measurement with the whole machine to itself."""
    return report(f"{kind:8s} {setting:9s} seed {seed}",
                  *run_measurement(worker_command(kind, setting, seed, overrides, quick), False))


def on_ray(specs, quick: bool, address=None) -> list:
    """Runs ``specs`` [(kind, setting, seed, overrides)] as Ray tasks of one CPU each, in
    order, each measurement a fresh process with one thread (placed as ``ddpg_graph.sweep``
    places its trials, on the Ray instance it starts, but as plain tasks: a measurement is
    not a training run with a run directory; two at a time on a 2-core machine, on a
    cluster's cores with ``address``); returns their results in the same order."""
    import ray
    from ddpg_graph.sweep import start_ray
    start_ray(address)
    task = ray.remote(num_cpus=1, max_calls=1)(run_measurement)
    refs = [task.remote(worker_command(kind, setting, seed, overrides, quick, threads=1), True)
            for kind, setting, seed, overrides in specs]
    return [report(f"{kind:8s} {setting:9s} seed {seed} (1 thread)", *ray.get(ref))
            for (kind, setting, seed, _), ref in zip(specs, refs)]


def spread(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def summarise(runs: dict, seeds, keys) -> dict:
    """Spreads of ``keys`` per side and the per-seed ratios ddpg_graph/SB3 of the speeds."""
    out = {"seeds": list(seeds)}
    for key in keys:
        out[key] = {side: spread([r[key] for r in rs]) for side, rs in runs.items()}
        out[key]["runs"] = {side: [r[key] for r in rs] for side, rs in runs.items()}
        if key in ("steps_per_s", "updates_per_s"):
            out[key]["ratio"] = spread([a[key] / b[key] for a, b in
                                        zip(runs["ddpg_graph"], runs["sb3"])])
    return out


def alternate(setting: str, seeds, overrides, quick: bool) -> dict:
    """A B A B on the whole machine (two threads each)."""
    runs = {"ddpg_graph": [], "sb3": []}
    for seed in seeds:
        runs["ddpg_graph"].append(measure("graph", setting, seed, overrides, quick))
        runs["sb3"].append(measure("sb3", setting, seed, quick=quick))
    return summarise(runs, seeds, ("steps_per_s", "updates_per_s"))


def side_by_side(zoo_seeds, emami_seeds, overrides, quick: bool, address=None) -> dict:
    """Phase 3: each seed's ddpg_graph and SB3 runs start together, one core each; then the
    ``emami`` pairs and the memory run."""
    specs = []
    for setting, seeds in (("zoo", zoo_seeds), ("emami", emami_seeds)):
        for seed in seeds:
            specs += [("graph", setting, seed, overrides), ("sb3", setting, seed, ())]
    specs.append(("memory", "emami", 0, ()))
    results = on_ray(specs, quick, address)
    out, position = {}, 0
    for setting, seeds in (("zoo", zoo_seeds), ("emami", emami_seeds)):
        pairs = results[position:position + 2 * len(seeds)]
        position += 2 * len(seeds)
        runs = {"ddpg_graph": pairs[0::2], "sb3": pairs[1::2]}
        out[setting] = summarise(runs, seeds, ("steps_per_s", "updates_per_s", "eval_return",
                                               "peak_rss_mib"))
    from scipy.stats import mannwhitneyu
    e = out["zoo"]["eval_return"]
    e["mann_whitney_p_worse"] = float(mannwhitneyu(  # H1: ddpg_graph's returns are lower
        e["runs"]["ddpg_graph"], e["runs"]["sb3"], alternative="less").pvalue)
    out["memory"] = results[-1]
    return out


def machine() -> dict:
    import numpy
    import tensorflow
    info = {"date": datetime.date.today().isoformat(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "processor": _cpu_name(), "tensorflow": tensorflow.__version__,
            "numpy": numpy.__version__}
    try:
        import stable_baselines3
        import torch
        info.update(torch=torch.__version__, stable_baselines3=stable_baselines3.__version__)
    except ImportError:
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
    lines = [f"ddpg_graph vs Stable-Baselines3 DDPG, {m['date']}: {m['processor']}, {m['cpus']} "
             f"CPUs, Python {m['python']}, TensorFlow {m['tensorflow']}, torch {m.get('torch')}, "
             f"SB3 {m.get('stable_baselines3')}; {result['wall_time_s'] / 60:.1f} min in all. "
             "Min / median / max over the runs; ratios per seed.", "",
             "| setting | measure | ddpg_graph | SB3 | ratio | target |",
             "| --- | --- | --- | --- | --- | --- |"]

    def cell(s):
        return f"{s['min']:.0f} / **{s['median']:.0f}** / {s['max']:.0f}"

    def ratio(s):
        return f"{s['min']:.2f} / **{s['median']:.2f}** / {s['max']:.2f}"

    def speed_rows(r, name, how):
        n = len(r["seeds"])
        for key, label in (("steps_per_s", "learning-phase env steps/s"),
                           ("updates_per_s", "updates/s inside the update call")):
            target = "≥ 3×" if key == "steps_per_s" else ""
            lines.append(f"| `{name}`, {how} ({n} runs) | {label} | {cell(r[key]['ddpg_graph'])} | "
                         f"{cell(r[key]['sb3'])} | {ratio(r[key]['ratio'])} | {target} |")

    speed_rows(result["zoo"], "zoo", "one core each")
    speed_rows(result["emami"], "emami", "one core each")
    if result.get("zoo_short"):
        speed_rows(result["zoo_short"], "zoo", "two cores each, 1,800 steps")
    e = result["zoo"]["eval_return"]
    lines.append(f"| `zoo` | deterministic eval return after 20k steps | {cell(e['ddpg_graph'])} | "
                 f"{cell(e['sb3'])} | Mann-Whitney p(ddpg_graph worse) = "
                 f"{e['mann_whitney_p_worse']:.2f} | not worse |")
    rss = result["zoo"]["peak_rss_mib"]
    lines.append(f"| `zoo` | peak RSS, MiB | {cell(rss['ddpg_graph'])} | {cell(rss['sb3'])} | | |")
    roof = result["roofline"]
    lines.append(f"| `zoo` batch 256, two cores | isolated updates/s vs roofline | "
                 f"{roof['updates_per_s']:.0f} | | {roof['fraction']:.0%} of "
                 f"{roof['roofline_updates_per_s']:.0f}/s ({roof['matmul_gflops']:.0f} GFLOP/s ÷ "
                 f"{roof['update_gflop']:.3f} GFLOP) | ≥ 80% |")
    mem = result["memory"]
    lines.append(f"| `emami`, 1e6-transition buffer full | peak RSS, MiB | {mem['peak_rss_mib']:.0f} | | | "
                 f"< 1024 |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5, help="zoo runs per side (default 5)")
    parser.add_argument("--emami-repeats", type=int, default=3)
    parser.add_argument("--two-core-repeats", type=int, default=2,
                        help="alternating zoo_short pairs on two cores (default 2; 0: none)")
    parser.add_argument("--out", default=os.path.join(REPO, "benchmarks"))
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="ddpg_graph config override for its runs (KEY=VALUE)")
    parser.add_argument("--address", help="phase 3 on this Ray cluster (default: a local Ray "
                                          "instance on this machine's cores)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: a tenth of the steps, 2 seeds, 1 repeat of the rest")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--setting", default="zoo", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        quicken(10)
        args.seeds, args.emami_repeats = min(args.seeds, 2), 1
        args.two_core_repeats = min(args.two_core_repeats, 1)
        args.out = os.path.join(args.out, "quick")
    if args.worker:
        return worker_main(args.worker, args.setting, args.seed, args.overrides, args.threads)
    from ddpg_graph.entry import quiet_tensorflow
    quiet_tensorflow()
    try:
        import scipy  # noqa: F401
        import stable_baselines3  # noqa: F401
    except ImportError as exc:
        print(f"error: {exc.name} is missing; install the bench extra: "
              "pip install -r requirements.txt -e .[bench]", file=sys.stderr)
        return 2
    started = time.time()
    result = {"machine": machine(), "overrides": args.overrides}
    print("1. the roofline, alone", flush=True)
    result["roofline"] = measure("roofline", "zoo", 0, args.overrides)
    if args.two_core_repeats:
        print("2. zoo_short on two cores each, A B A B", flush=True)
        result["zoo_short"] = alternate("zoo_short", range(args.two_core_repeats),
                                        args.overrides, args.quick)
    print("3. zoo, emami and memory on one core each, two at a time", flush=True)
    result.update(side_by_side(range(args.seeds), range(args.emami_repeats), args.overrides,
                               args.quick, args.address))
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
