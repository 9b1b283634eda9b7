"""``towers``: the batch cut in T parts whose gradients are averaged equals one tower's update."""
import numpy as np
import pytest

from conftest import OBS_DIM, feed_dict, make_agent, random_batch
from test_graph import np_actor, np_critic, randomise, stack


def assert_same_weights(a, b, rtol=1e-12, atol=1e-14):
    a, b = a.get_weights(), b.get_weights()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize("towers,order", [(2, "critic,actor,targets"), (4, "critic,actor,targets"),
                                          (2, "targets,actor,critic")])
def test_towers_equal_one_tower_in_float64(towers, order, rng):
    """Same stats, actions and weights as one tower over several acting updates, in the
    paper's order and in Morvan's (the order's rules see every tower's reads)."""
    one, split = make_agent(update_order=order), make_agent(towers=towers, update_order=order)
    weights = randomise(one, rng)
    split.set_weights(weights)
    for _ in range(3):
        obs, batch = rng.standard_normal(OBS_DIM), random_batch(rng)
        expected_action, expected = one.act_and_train(obs, batch)
        action, stats = split.act_and_train(obs, batch)
        np.testing.assert_allclose(action, expected_action, rtol=1e-12)
        for key, value in expected.items():
            assert stats[key] == pytest.approx(value, rel=1e-12), key
    assert_same_weights(one, split)
    assert not np.allclose(split.get_weights()["main/pi/out/w"], weights["main/pi/out/w"])


def test_towers_match_numpy_target_and_loss(rng):
    gamma = 0.97
    agent = make_agent(towers=2, gamma=gamma, critic_action_input="concat")
    w = randomise(agent, rng)
    batch = random_batch(rng)
    q_targ = np_critic(batch["s2"], np_actor(batch["s2"], w, "target/pi"), w, "target/q", "concat")
    y = batch["r"] + gamma * (1 - batch["done"]) * q_targ
    q = np_critic(batch["s"], batch["a"], w, "main/q", "concat")
    np.testing.assert_allclose(agent.session.run(agent.net.update.y, feed_dict(agent, batch)), y, rtol=1e-10)
    stats = agent.train(batch)
    assert stats["td_loss"] == pytest.approx(np.mean((q - y) ** 2), rel=1e-10)
    assert stats["q_mean"] == pytest.approx(q.mean(), rel=1e-10)
    assert stats["q_max"] == pytest.approx(q.max(), rel=1e-10)


def test_towers_with_critic_l2_and_the_update_loop(rng):
    one = make_agent(gradient_steps=3, critic_l2=0.01)
    split = make_agent(gradient_steps=3, critic_l2=0.01, towers=2)
    split.set_weights(randomise(one, rng))
    for _ in range(2):
        batches = stack([random_batch(rng) for _ in range(3)])
        expected, stats = one.train(batches), split.train(batches)
        for key, value in expected.items():
            assert stats[key] == pytest.approx(value, rel=1e-12), key
    assert_same_weights(one, split)


def test_float32_towers_agree_to_round_off_and_rerun_bit_identically(rng):
    def f32(batch):
        return {k: v.astype(np.float32) for k, v in batch.items()}

    sizes = dict(dtype="float32", actor_hidden=(64, 48), critic_hidden=(64, 48), batch_size=64)
    one = make_agent(**sizes)
    runs = [make_agent(towers=2, intra_op_threads=1, inter_op_threads=2, **sizes) for _ in range(2)]
    weights = one.get_weights()
    for agent in runs:
        agent.set_weights(weights)
    for _ in range(5):
        batch = f32(random_batch(rng, n=64))
        expected = one.train(batch)
        first, second = (agent.train(batch) for agent in runs)
        assert first == second  # bit for bit
        for key, value in expected.items():
            assert first[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key
    a, b = runs[0].get_weights(), runs[1].get_weights()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert_same_weights(one, runs[0], rtol=1e-4, atol=1e-6)


def test_towers_build_per_tower_passes_and_one_apply_per_variable():
    from test_graph_structure import graph_counts
    counts = graph_counts(make_agent(towers=2))
    assert counts["actor builds"] == 2 * 2  # per tower: main on its part (tower 0: and obs), target
    assert counts["critic builds"] == 3 * 2
    assert counts["optimiser applies"] == counts["trainable variables"]


def test_each_tower_runs_on_its_device_of_a_list(rng):
    """``device="cpu:0,cpu:1"``: tower i's ops ask for the i-th device (soft placement runs
    a device this machine lacks on the CPU); variables and steps stay on the first, and
    variable reads go with their variable."""
    agent = make_agent(towers=2, device="cpu:0,cpu:1")
    ops = agent.graph.get_operations()
    placed = [op for op in ops if op.type != "ReadVariableOp"]
    tower_1 = [op for op in placed if op.name.startswith("tower_1/")]
    assert tower_1 and all(op.device.endswith("CPU:1") for op in tower_1)
    assert all(op.device.endswith("CPU:0") for op in placed
               if op.name.startswith("tower_0/") or op.type.startswith("ResourceApply"))
    agent.train(random_batch(rng))


def test_missing_gpus_of_a_list_fall_back_with_one_warning(capsys):
    import tensorflow as tf
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU is visible; the fallback path is not taken")
    make_agent(towers=2, device="gpu:0,gpu:1")
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["warning: TensorFlow sees no gpu:0, gpu:1; running on the CPU"]


@pytest.mark.parametrize("overrides,message", [
    (dict(towers=0), "towers must be positive"),
    (dict(towers=3), "batch_size (16) must be a multiple of towers (3)"),
    (dict(device="gpu:0;gpu:1"), "device must be"),
])
def test_bad_tower_settings_are_refused(overrides, message):
    from ddpg_graph.errors import ConfigError
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_agent(**overrides)
