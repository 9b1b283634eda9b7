"""TD3's three switches against the numpy update (tests/numpy_ddpg.py), float64, 3 chained
updates, 2 actions with asymmetric bounds: each switch alone and all three; that numpy tells
each switch apart (so the comparison can fail); the delay inside the ``tf.while_loop``; off
builds nothing; and runs with them on n_envs and towers."""
import numpy as np
import pytest

from conftest import ACT_DIM, HIGH, LOW, make_agent, random_batch, small_config
from numpy_ddpg import NumpyTD3

NUMPY_SETTINGS = dict(critic_action_input="concat", optimizer="torch_adam")
SWITCHES = {
    "twin_critics": dict(twin_critics=True),
    "target_noise": dict(target_noise=0.4, target_noise_clip=0.3),  # the clip bites often
    "policy_delay": dict(policy_delay=2),
    "all three": dict(twin_critics=True, target_noise=0.2, target_noise_clip=0.5, policy_delay=2),
}


def batches(rng, count=3, rows=16, sigma=0.4):
    out = []
    for _ in range(count):
        batch = random_batch(rng, rows)
        batch["eps"] = rng.normal(0.0, sigma, (rows, ACT_DIM))
        out.append(batch)
    return out


def randomised(agent, rng, scale=0.5):
    """Distinct random online and target weights (no test passes by symmetry)."""
    weights = {k: rng.normal(0, scale, v.shape) for k, v in agent.get_weights().items()}
    agent.set_weights(weights)
    return weights


def numpy_after(config, weights, updates):
    reference = NumpyTD3(config, weights, LOW, HIGH)
    for batch in updates:
        reference.update(batch)
    return reference.w


@pytest.mark.parametrize("switch", ["none"] + list(SWITCHES))
def test_each_switch_matches_numpy(switch, rng):
    overrides = dict(NUMPY_SETTINGS, **SWITCHES.get(switch, {}))
    agent = make_agent(**overrides)
    weights = randomised(agent, rng)
    updates = batches(rng)
    for batch in updates:
        agent.train({k: v for k, v in batch.items() if k in agent.batch_fields})
    expected = numpy_after(agent.config, weights, updates)
    ours = agent.get_weights()
    assert sorted(ours) == sorted(expected)
    for name in ours:
        np.testing.assert_allclose(ours[name], expected[name], rtol=0, atol=1e-12, err_msg=name)
    agent.close()


@pytest.mark.parametrize("switch", list(SWITCHES))
def test_numpy_tells_each_switch_apart(switch, rng):
    """The comparison above can fail: with the switch off, the same updates end elsewhere."""
    on = small_config(**NUMPY_SETTINGS, **SWITCHES[switch])
    off = small_config(**NUMPY_SETTINGS, twin_critics=on.twin_critics and switch == "all three")
    agent = make_agent(**NUMPY_SETTINGS, twin_critics=True)  # every weight a run may have
    weights = randomised(agent, rng)
    updates = batches(rng)
    with_switch, without = numpy_after(on, weights, updates), numpy_after(off, weights, updates)
    assert max(np.max(np.abs(with_switch[k] - without[k])) for k in with_switch) > 1e-4
    agent.close()


def test_smoothing_clips_the_noise_and_the_action(rng):
    """networks.smoothed: clip(a + half_range * clip(eps, -c, c), low, high), row for row
    (the update's use of it is checked against numpy above, with a clip that bites)."""
    import tensorflow as tf
    from ddpg_graph.networks import smoothed
    actions = rng.uniform(LOW, HIGH, (64, ACT_DIM))
    eps = rng.normal(0.0, 2.0, (64, ACT_DIM))  # large noise: both clips bite
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        a2 = session.run(smoothed(tf.constant(actions), tf.constant(eps), 0.3, LOW, HIGH))
    half = (HIGH - LOW) / 2
    np.testing.assert_allclose(a2, np.clip(actions + half * np.clip(eps, -0.3, 0.3), LOW, HIGH),
                               rtol=0, atol=1e-12)
    assert np.any(a2 == HIGH) or np.any(a2 == LOW)  # the outer clip did bite
    assert not np.allclose(a2, np.clip(actions + half * eps, LOW, HIGH))  # and the inner


def test_the_delay_counts_inside_the_update_loop(rng):
    """K=3 updates per session.run with policy_delay 2, twice: 6 updates counted, and the
    weights of 6 single updates."""
    settings = dict(NUMPY_SETTINGS, **SWITCHES["all three"])
    looped, single = make_agent(gradient_steps=3, **settings), make_agent(**settings)
    weights = randomised(looped, rng)
    single.set_weights(weights)
    updates = batches(rng, 6)
    for k in (0, 3):
        looped.train({name: np.stack([b[name] for b in updates[k:k + 3]]) for name in looped.batch_fields})
    for batch in updates:
        single.train(batch)
    assert looped.session.run(looped.net.n_updates) == 6
    ours, expected = looped.get_weights(), single.get_weights()
    for name in ours:
        np.testing.assert_allclose(ours[name], expected[name], rtol=0, atol=1e-12, err_msg=name)
    looped.close()
    single.close()


def test_two_towers_give_the_one_tower_update(rng):
    settings = dict(NUMPY_SETTINGS, **SWITCHES["all three"])
    towers, one = make_agent(towers=2, **settings), make_agent(**settings)
    one.set_weights(randomised(towers, rng))
    for batch in batches(rng, 4):
        towers.train(batch)
        one.train(batch)
    ours, expected = towers.get_weights(), one.get_weights()
    for name in ours:
        np.testing.assert_allclose(ours[name], expected[name], rtol=0, atol=1e-12, err_msg=name)
    towers.close()
    one.close()


def test_off_builds_nothing_of_td3():
    """With the three switches off the graph holds no second critic, no counter, no noise
    input and no min: DDPG's graph."""
    def op_names(agent):
        return [op.name for op in agent.graph.get_operations()]
    plain = make_agent()
    names = op_names(plain)
    assert not [name for name in names if name == "inputs/eps" or any(
        part in name for part in ("/q2/", "n_updates", "min_q_targ", "policy_delay"))]
    assert plain.batch_fields == ["s", "a", "r", "done", "s2"]
    td3 = make_agent(**SWITCHES["all three"])
    assert td3.batch_fields == ["s", "a", "r", "done", "s2", "eps"]
    assert len(op_names(td3)) > len(names)
    plain.close()
    td3.close()


@pytest.mark.parametrize("overrides, message", [
    (dict(policy_delay=0), "policy_delay must be at least 1"),
    (dict(target_noise=-0.1), "target_noise must be non-negative"),
    (dict(target_noise_clip=-1.0), "target_noise_clip must be non-negative"),
    (dict(policy_delay=2, update_order="actor,critic,targets"), "policy_delay > 1 needs"),
])
def test_bad_switch_values_are_one_line(overrides, message):
    from ddpg_graph.errors import ConfigError
    with pytest.raises(ConfigError, match=message):
        small_config(**overrides)


@pytest.mark.parametrize("overrides", [dict(n_envs=3), dict(towers=2, train_at_episode_end=True)])
def test_runs_with_the_three_switches(overrides):
    """A short run with all three on, with 3 envs (a K=3 loop per step) or two towers and the
    TF2 article's updates at episode end: it trains, and the counter counts every update."""
    from ddpg_graph.runner import Trainer
    config = small_config(env_id="Pendulum-v1", total_steps=300, learning_starts=100,
                          eval_every_steps=0, **SWITCHES["all three"], **overrides)
    with Trainer(config, progress=False) as trainer:
        history = trainer.run()
        updates = trainer.agent.session.run(trainer.agent.net.n_updates)
    assert updates >= 100
    assert np.isfinite([row["td_loss"] for row in history.rows if row["td_loss"] == row["td_loss"]]).all()
