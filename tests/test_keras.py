"""tf_keras models in place of the built-in networks: same update, training, exact resume."""
import os

import numpy as np
import pytest

from conftest import REPO, make_agent, random_batch
from test_resume import assert_same_run

KERAS = dict(actor_model="keras_factories:small_actor", critic_model="keras_factories:small_critic")
TESTS = os.path.join(REPO, "tests")


def ordered_weights(agent):
    """Online then target weights of ``agent``, in network order (names differ by source)."""
    net = agent.net
    variables = net.actor_vars + net.critic_vars + net.target_vars
    return agent.session.run(variables)


def test_keras_models_give_the_builtin_update(rng):
    builtin = make_agent(dtype="float32", critic_action_input="concat")
    keras = make_agent(dtype="float32", critic_action_input="concat", **KERAS)
    start = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in ordered_weights(builtin)]
    for agent in (builtin, keras):
        agent.set_weights({v.op.name: w for v, w in zip(
            agent.net.actor_vars + agent.net.critic_vars + agent.net.target_vars, start)})
    for _ in range(3):
        batch = {k: v.astype(np.float32) for k, v in random_batch(rng).items()}
        expected, stats = builtin.train(batch), keras.train(batch)
        for key, value in expected.items():
            assert stats[key] == pytest.approx(value, rel=1e-6, abs=1e-6), key
    after_builtin, after_keras = ordered_weights(builtin), ordered_weights(keras)
    for a, b, w in zip(after_builtin, after_keras, start):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)
    assert not np.allclose(after_keras[0], start[0])  # it trained


def test_keras_targets_are_copies_with_their_own_variables():
    agent = make_agent(dtype="float32", **KERAS)
    net = agent.net
    assert not {v.name for v in net.actor_vars + net.critic_vars} & {v.name for v in net.target_vars}
    online, targets = agent.session.run([net.actor_vars + net.critic_vars, net.target_vars])
    for a, b in zip(online, targets):
        np.testing.assert_array_equal(a, b)


def test_a_model_of_another_dtype_is_refused():
    from ddpg_graph.errors import ConfigError
    with pytest.raises(ConfigError, match="float64 weights but the config's dtype is float32"):
        make_agent(dtype="float32", actor_model="keras_factories:float64_actor")


@pytest.mark.parametrize("spec, message", [("keras_factories", "package.module:function"),
                                           ("no_such_module:f", "cannot import"),
                                           ("keras_factories:nothing", "has no 'nothing'")])
def test_bad_factory_names_are_one_line(spec, message):
    from ddpg_graph.errors import ConfigError
    with pytest.raises(ConfigError, match=message):
        make_agent(actor_model=spec)


SEQUENTIAL = ["--preset", "zoo", "--no-progress", "--set", "warmup_steps=400",
              "--set", "learning_starts=400", "--set", "batch_size=64",
              "--set", "actor_model=keras_factories:sequential_actor",
              "--set", "critic_model=keras_factories:sequential_critic",
              "--set", "checkpoint_every_steps=400", "--set", "eval_every_steps=0"]


def keras_run(*args):
    env = dict(os.environ, PYTHONPATH=TESTS)
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "ddpg_graph", "train", *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=600)


def test_sequential_keras_models_resume_exactly(tmp_path):
    """A zoo-like Pendulum run with tf_keras Sequential networks: 700 steps (mid-episode, 300
    updates in) then --resume in a fresh process to 1,200 equals 1,200 steps straight (run in
    this process), bit for bit (the learning is in test_learning)."""
    from ddpg_graph.cli import main
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    assert main(["train", "--logdir", straight, "--total-steps", "1200", *SEQUENTIAL]) == 0
    result = keras_run("--logdir", resumed, "--total-steps", "700", *SEQUENTIAL)
    assert result.returncode == 0, result.stderr
    result = keras_run("--resume", resumed, "--total-steps", "1200", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert_same_run(straight, resumed)
