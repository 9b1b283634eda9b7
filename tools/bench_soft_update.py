"""The soft update's form, measured: ``assign_sub`` (the graph's) against one in-place
``ResourceApplyGradientDescent(target, tau, target - online)`` per variable.

``python tools/bench_soft_update.py [--preset zoo] [--rounds 6] [--updates 300]``: two agents
of the preset in this process, one per form, timed in alternating blocks of ``Agent.train``
on the same replay-sized random batches; prints updates/s per block and the median ratio.
"""
import argparse
import statistics
import time

import numpy as np
import tensorflow as tf

from ddpg_graph.agent import Agent
from ddpg_graph.cli import quiet_tensorflow
from ddpg_graph.config import Config
from ddpg_graph.graph import DDPGGraph

tf1 = tf.compat.v1


def apply_gradient_descent_form(self, after_pi, after_q):
    """The form this package used before: ``theta' -= tau * (theta' - theta)`` as one
    ``ResourceApplyGradientDescent`` per variable."""
    tau = tf.constant(self.config.tau, self.target_vars[0].dtype.base_dtype)
    ops = []
    for key, after in (("pi", after_pi), ("q", after_q)):
        with tf.control_dependencies(after):
            ops += [tf.raw_ops.ResourceApplyGradientDescent(var=t.handle, alpha=tau,
                                                            delta=t.read_value() - m.read_value())
                    for m, t in self._pairs[key]]
    return tf.group(*ops)


def make_agent(config, form: str) -> Agent:
    original = DDPGGraph._target_update
    if form == "apply_gradient_descent":
        DDPGGraph._target_update = apply_gradient_descent_form
    try:
        return Agent(config, 3, -2 * np.ones(1), 2 * np.ones(1))
    finally:
        DDPGGraph._target_update = original


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="zoo")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--updates", type=int, default=300)
    args = parser.parse_args()
    quiet_tensorflow()
    config = Config.from_preset(args.preset)
    rng = np.random.default_rng(0)
    b = config.batch_size
    batches = [{"s": rng.standard_normal((b, 3)), "a": rng.uniform(-2, 2, (b, 1)),
                "r": rng.standard_normal((b, 1)), "done": np.zeros((b, 1)),
                "s2": rng.standard_normal((b, 3))} for _ in range(16)]
    agents = {form: make_agent(config, form) for form in ("assign_sub", "apply_gradient_descent")}
    rates = {form: [] for form in agents}
    for agent in agents.values():  # warm up
        for batch in batches:
            agent.train(batch)
    for round_ in range(args.rounds):
        for form in (list(agents) if round_ % 2 == 0 else list(agents)[::-1]):
            start = time.perf_counter()
            for i in range(args.updates):
                agents[form].train(batches[i % len(batches)])
            rates[form].append(args.updates / (time.perf_counter() - start))
    for form, values in rates.items():
        print(f"{form:24s} updates/s: " + " ".join(f"{v:.1f}" for v in values)
              + f"  (median {statistics.median(values):.1f})")
    ratios = [a / g for a, g in zip(rates["assign_sub"], rates["apply_gradient_descent"])]
    print(f"assign_sub / apply_gradient_descent, per round: {' '.join(f'{r:.3f}' for r in ratios)}; "
          f"median {statistics.median(ratios):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
