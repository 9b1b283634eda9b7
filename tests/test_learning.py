"""A short, fixed-seed Pendulum run must clearly beat a random policy."""
import numpy as np
import pytest

from ddpg_graph.config import Config
from ddpg_graph.envs import make_env
from ddpg_graph.evaluation import evaluate
from ddpg_graph.runner import Trainer


def random_policy_return(episodes=10, seed=0):
    env = make_env("Pendulum-v1", seed=seed)
    rng = np.random.default_rng(seed)
    total = 0.0
    for _ in range(episodes):
        env.reset()
        finished = False
        while not finished:
            _, r, terminated, truncated, _ = env.step(rng.uniform(-2, 2, 1))
            total += r
            finished = terminated or truncated
    return total / episodes


# The built-in 64-64 networks, and tf_keras Sequential models of the same widths.
NETWORKS = {"builtin": {}, "keras": dict(actor_model="keras_factories:sequential_actor",
                                         critic_model="keras_factories:sequential_critic")}


@pytest.mark.parametrize("networks", sorted(NETWORKS))
def test_short_pendulum_run_learns(networks, tmp_path):
    config = Config.from_preset("zoo", seed=0, total_steps=7000, warmup_steps=1000,
                                learning_starts=1000, batch_size=64, actor_hidden=(64, 64),
                                critic_hidden=(64, 64), eval_every_steps=0, checkpoint_every_steps=0,
                                **NETWORKS[networks])
    trainer = Trainer(config, str(tmp_path / "run"), progress=False)
    trainer.run()
    trained = float(np.mean(evaluate(trainer.agent, trainer.eval_env, 10)))
    trainer.close()
    random = random_policy_return()
    assert random < -900  # sanity: a random policy does badly on Pendulum
    assert trained > random + 600 and trained > -400, (trained, random)
