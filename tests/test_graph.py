"""The DDPG graph against independent arithmetic: finite differences, numpy, the update order."""
import numpy as np
import pytest

from conftest import HIGH, LOW, OBS_DIM, feed_dict, make_agent, random_batch

ARCHITECTURES = ["second", "concat"]


# -- an independent numpy implementation of the networks, for reference -------------------
def np_dense(inputs, w, prefix):
    if len(inputs) == 1:
        out = inputs[0] @ w[f"{prefix}/w"]
    else:
        out = sum(x @ w[f"{prefix}/w{j}"] for j, x in enumerate(inputs))
    return out + w[f"{prefix}/b"]


def np_actor(s, w, scope, layers=2):
    h = s
    for i in range(layers):
        h = np.maximum(np_dense([h], w, f"{scope}/l{i}"), 0)
    unit = np.tanh(np_dense([h], w, f"{scope}/out"))
    return (HIGH + LOW) / 2 + (HIGH - LOW) / 2 * unit


def np_critic(s, a, w, scope, action_input, layers=2):
    h = np.concatenate([s, a], 1) if action_input == "concat" else s
    for i in range(layers):
        inputs = [h, a] if (i == 1 and action_input == "second") else [h]
        h = np.maximum(np_dense(inputs, w, f"{scope}/l{i}"), 0)
    return np_dense([h], w, f"{scope}/out")


def randomise(agent, rng, scale=0.5):
    """Distinct random online and target weights, so that no test passes by symmetry."""
    weights = {k: rng.normal(0, scale, v.shape) for k, v in agent.get_weights().items()}
    agent.set_weights(weights)
    return weights


# -- gradients --------------------------------------------------------------------------
@pytest.mark.parametrize("action_input", ARCHITECTURES)
def test_dq_da_matches_finite_differences(action_input, rng):
    agent = make_agent(critic_action_input=action_input, step_ops=True)
    randomise(agent, rng)
    net, batch = agent.net, random_batch(rng)
    mu, dq_da = agent.session.run([agent.extension.mu, agent.extension.dq_da], {net.s: batch["s"]})

    def q_of(a):
        return agent.session.run(net.update.q, {net.s: batch["s"], net.a: a})[:, 0]

    eps = 1e-6
    for j in range(mu.shape[1]):
        step = np.zeros_like(mu)
        step[:, j] = eps
        numeric = (q_of(mu + step) - q_of(mu - step)) / (2 * eps)
        np.testing.assert_allclose(dq_da[:, j], numeric, rtol=1e-5, atol=1e-8)
    assert np.abs(dq_da).max() > 1e-3  # a zero gradient would pass trivially


@pytest.mark.parametrize("action_input", ARCHITECTURES)
def test_actor_gradients_match_finite_differences_of_actor_loss(action_input, rng):
    agent = make_agent(critic_action_input=action_input, step_ops=True)
    weights = randomise(agent, rng)
    net, batch = agent.net, random_batch(rng)
    feed = {net.s: batch["s"]}
    grads = agent.session.run(agent.extension.actor_grads, feed)

    def actor_loss(name, value):
        agent.set_weights({name: value})
        return agent.session.run(agent.extension.actor_loss, feed)

    eps = 1e-6
    checked = 0
    for var, grad in zip(net.actor_vars, grads):
        name = var.op.name
        original = weights[name]
        for index in list(np.ndindex(original.shape))[:6]:
            plus, minus = original.copy(), original.copy()
            plus[index] += eps
            minus[index] -= eps
            numeric = (actor_loss(name, plus) - actor_loss(name, minus)) / (2 * eps)
            assert grad[index] == pytest.approx(numeric, rel=1e-5, abs=1e-9), (name, index)
            checked += abs(numeric) > 1e-6
        agent.set_weights({name: original})
    assert checked > 10


# -- critic target and loss against numpy -------------------------------------------------
@pytest.mark.parametrize("action_input", ARCHITECTURES)
def test_train_matches_numpy_target_and_loss(action_input, rng):
    gamma = 0.97
    agent = make_agent(critic_action_input=action_input, gamma=gamma)
    w = randomise(agent, rng)
    batch = random_batch(rng)

    mu_targ = np_actor(batch["s2"], w, "target/pi")
    q_targ = np_critic(batch["s2"], mu_targ, w, "target/q", action_input)
    y = batch["r"] + gamma * (1 - batch["done"]) * q_targ
    q = np_critic(batch["s"], batch["a"], w, "main/q", action_input)

    net = agent.net
    y_graph = agent.session.run(net.update.y, feed_dict(agent, batch))
    np.testing.assert_allclose(y_graph, y, rtol=1e-10)
    stats = agent.train(batch)
    assert stats["td_loss"] == pytest.approx(np.mean((q - y) ** 2), rel=1e-10)
    assert stats["q_mean"] == pytest.approx(q.mean(), rel=1e-10)
    assert stats["q_max"] == pytest.approx(q.max(), rel=1e-10)
    # the update did happen
    assert not np.allclose(agent.get_weights()["main/q/out/w"], w["main/q/out/w"])


def test_done_masks_bootstrap(rng):
    agent = make_agent(gamma=0.99)
    randomise(agent, rng)
    batch = random_batch(rng)
    batch["done"][:] = 1.0
    np.testing.assert_allclose(agent.session.run(agent.net.update.y, feed_dict(agent, batch)), batch["r"])
    batch["done"][:] = 0.0
    y = agent.session.run(agent.net.update.y, feed_dict(agent, batch))
    assert np.abs(y - batch["r"]).min() > 1e-6


def test_critic_l2_adds_weight_decay(rng):
    agent = make_agent(critic_l2=0.01)
    w = randomise(agent, rng)
    batch = random_batch(rng)
    net = agent.net
    td, total = agent.session.run([net.update.td_loss, net.update.critic_loss], feed_dict(agent, batch))
    decay = sum((w[v.op.name] ** 2).sum() / 2 for v in net.critic_vars
                if v.op.name.split("/")[-1].startswith("w"))
    assert total == pytest.approx(td + 0.01 * decay, rel=1e-10)


# -- target networks ----------------------------------------------------------------------
def test_targets_start_equal_to_online():
    agent = make_agent()
    w = agent.get_weights()
    for name, value in w.items():
        if name.startswith("main/"):
            np.testing.assert_array_equal(value, w["target/" + name[len("main/"):]])


def test_soft_update_is_polyak_average(rng):
    tau = 0.1
    agent = make_agent(tau=tau, step_ops=True)
    before = randomise(agent, rng)
    agent.session.run(agent.extension.target_update)
    after = agent.get_weights()
    for name in before:
        if name.startswith("main/"):
            target = "target/" + name[len("main/"):]
            expected = tau * before[name] + (1 - tau) * before[target]
            np.testing.assert_allclose(after[target], expected, rtol=1e-12)
            np.testing.assert_array_equal(after[name], before[name])


# -- the update order ----------------------------------------------------------------------
def test_fused_update_equals_the_three_steps_in_order(rng):
    fused, stepwise = make_agent(), make_agent(step_ops=True)
    weights = randomise(fused, rng)
    stepwise.set_weights(weights)
    steps = stepwise.extension
    for _ in range(3):
        batch = random_batch(rng)
        fused.train(batch)
        feed = feed_dict(stepwise, batch)
        for op in (steps.critic_step, steps.actor_step, steps.target_update):
            stepwise.session.run(op, feed)
    a, b = fused.get_weights(), stepwise.get_weights()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-12, atol=1e-14, err_msg=name)
    assert not np.allclose(a["main/pi/out/w"], weights["main/pi/out/w"])


def test_fused_update_differs_from_actor_step_on_the_old_critic(rng):
    """The order matters: an actor step before the critic step gives other weights, so the
    equality above is a real check of the ordering."""
    fused, reordered = make_agent(), make_agent(step_ops=True)
    weights = randomise(fused, rng)
    reordered.set_weights(weights)
    batch = random_batch(rng)
    fused.train(batch)
    feed = feed_dict(reordered, batch)
    steps = reordered.extension
    for op in (steps.actor_step, steps.critic_step, steps.target_update):
        reordered.session.run(op, feed)
    assert not np.allclose(fused.get_weights()["main/pi/l0/w"],
                           reordered.get_weights()["main/pi/l0/w"], rtol=1e-9, atol=0)


def test_act_and_train_acts_before_updating(rng):
    together, apart = make_agent(), make_agent()
    weights = randomise(together, rng)
    apart.set_weights(weights)
    for _ in range(3):
        obs, batch = rng.standard_normal(OBS_DIM), random_batch(rng)
        action, stats = together.act_and_train(obs, batch)
        expected_action = apart.act(obs)
        expected_stats = apart.train(batch)
        np.testing.assert_allclose(action, expected_action, rtol=1e-12)
        for key, value in expected_stats.items():
            assert stats[key] == pytest.approx(value, rel=1e-12)
    a, b = together.get_weights(), apart.get_weights()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-12, atol=1e-14, err_msg=name)


# -- actions --------------------------------------------------------------------------------
def test_actions_respect_asymmetric_bounds(rng):
    agent = make_agent()
    w = randomise(agent, rng, scale=5.0)  # saturate the tanh
    obs = rng.standard_normal((200, OBS_DIM)) * 10
    actions = agent.act(obs)
    assert np.all(actions >= LOW) and np.all(actions <= HIGH)
    np.testing.assert_allclose(actions, np_actor(obs, w, "main/pi"), rtol=1e-10)
    zero = {k: np.zeros_like(v) for k, v in w.items() if k.startswith("main/pi/out")}
    agent.set_weights(zero)
    np.testing.assert_allclose(agent.act(obs[0]), (LOW + HIGH) / 2)


def test_final_layers_initialised_small():
    agent = make_agent(final_init=3e-3)
    w = agent.get_weights()
    for name in ("main/pi/out/w", "main/q/out/w"):
        assert np.abs(w[name]).max() <= 3e-3
        assert np.abs(w[name]).max() > 1e-4


def test_rmsprop_steps_with_separate_learning_rates(rng):
    """tf.compat.v1 RMSProp (canton's optimiser) starts its mean square at 1, so the first
    step is ``-lr * g / sqrt(0.9 + 0.1 g^2 + eps)``; each network uses its own rate."""
    actor_lr, critic_lr = 1e-3, 1e-2
    agent = make_agent(optimizer="rmsprop", actor_lr=actor_lr, critic_lr=critic_lr, step_ops=True)
    before = randomise(agent, rng)
    net, feed = agent.extension, feed_dict(agent, random_batch(rng))

    def expected_step(lr, grad):
        return -lr * grad / np.sqrt(0.9 + 0.1 * grad ** 2 + 1e-10)

    for grads_tensor, train, variables, lr in (
            (net.critic_grads, net.critic_step, agent.net.critic_vars, critic_lr),
            (net.actor_grads, net.actor_step, agent.net.actor_vars, actor_lr)):
        grads = agent.session.run(grads_tensor, feed)
        start = agent.get_weights()
        agent.session.run(train, feed)
        after = agent.get_weights()
        for var, grad in zip(variables, grads):
            name = var.op.name
            np.testing.assert_allclose(after[name] - start[name], expected_step(lr, grad),
                                       rtol=1e-6, atol=1e-15, err_msg=name)
    assert not np.allclose(agent.get_weights()["main/pi/out/w"], before["main/pi/out/w"])


def test_agents_do_not_touch_the_default_graph():
    import tensorflow as tf
    before = len(tf.compat.v1.get_default_graph().get_operations())
    make_agent()
    assert len(tf.compat.v1.get_default_graph().get_operations()) == before
    assert tf.executing_eagerly()


def test_missing_gpu_falls_back_to_cpu_with_one_warning(rng, capsys):
    import tensorflow as tf
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU is visible; the fallback path is not taken")
    agent = make_agent(device="gpu:0")
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["warning: TensorFlow sees no gpu:0; running on the CPU"]
    assert all(op.device.endswith("CPU:0") for op in agent.graph.get_operations() if op.device)
    agent.train(random_batch(rng))  # and it trains


@pytest.mark.parametrize("order", ["targets,actor,critic", "actor,critic,targets",
                                   "critic,targets,actor", "targets,critic,actor",
                                   "actor,targets,critic"])
def test_other_update_orders_equal_their_steps_in_that_order(order, rng):
    fused = make_agent(update_order=order)
    stepwise = make_agent(update_order=order, step_ops=True)
    weights = randomise(fused, rng)
    stepwise.set_weights(weights)
    steps = stepwise.extension
    ops = {"critic": steps.critic_step, "actor": steps.actor_step, "targets": steps.target_update}
    for _ in range(3):
        batch = random_batch(rng)
        stats = fused.train(batch)
        feed = feed_dict(stepwise, batch)
        for step in order.split(","):
            if step == "critic":
                expected_loss = stepwise.session.run(steps.td_loss, feed)
            stepwise.session.run(ops[step], feed)
        assert stats["td_loss"] == pytest.approx(expected_loss, rel=1e-12)
    a, b = fused.get_weights(), stepwise.get_weights()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-12, atol=1e-14, err_msg=name)


def test_act_and_train_q_is_the_critics_before_the_update(rng):
    """The action and its Q come from the update's own forward passes (obs appended to the
    batch): both from the weights before the update, and the update is unchanged by them."""
    together, stepwise = make_agent(), make_agent()
    weights = randomise(together, rng)
    stepwise.set_weights(weights)
    for _ in range(3):
        obs, batch = rng.standard_normal(OBS_DIM), random_batch(rng)
        expected_action, expected_q = stepwise.act_with_q(obs)
        expected_stats = stepwise.train(batch)
        action, stats = together.act_and_train(obs, batch)
        np.testing.assert_allclose(action, expected_action, rtol=1e-12)
        assert stats.pop("act_q") == pytest.approx(expected_q, rel=1e-12)
        for key, value in expected_stats.items():
            assert stats[key] == pytest.approx(value, rel=1e-12)
    a, b = together.get_weights(), stepwise.get_weights()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-12, atol=1e-14, err_msg=name)
    assert not np.allclose(a["main/pi/out/w"], weights["main/pi/out/w"])


# -- K updates in one session.run (tf.while_loop) -------------------------------------------
def stack(batches):
    return {key: np.stack([b[key] for b in batches]) for key in batches[0]}


@pytest.mark.parametrize("order", ["critic,actor,targets", "targets,actor,critic"])
def test_update_loop_equals_repeated_single_updates(order, rng):
    looped, single = make_agent(gradient_steps=3, update_order=order), make_agent(update_order=order)
    weights = randomise(looped, rng)
    single.set_weights(weights)
    for _ in range(2):
        batches = [random_batch(rng) for _ in range(3)]
        stats = looped.train(stack(batches))
        expected = [single.train(batch) for batch in batches]
        for key in ("actor_loss", "td_loss", "q_mean"):
            assert stats[key] == pytest.approx(np.mean([e[key] for e in expected]), rel=1e-12)
        assert stats["q_max"] == pytest.approx(max(e["q_max"] for e in expected), rel=1e-12)
    a, b = looped.get_weights(), single.get_weights()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-12, atol=1e-14, err_msg=name)
    assert not np.allclose(a["main/q/out/w"], weights["main/q/out/w"])


def test_update_loop_acts_before_all_its_updates(rng):
    looped, single = make_agent(gradient_steps=4), make_agent()
    weights = randomise(looped, rng)
    single.set_weights(weights)
    obs, batches = rng.standard_normal(OBS_DIM), [random_batch(rng) for _ in range(4)]
    action, stats = looped.act_and_train(obs, stack(batches))
    expected_action, expected_q = single.act_with_q(obs)
    for batch in batches:
        single.train(batch)
    np.testing.assert_allclose(action, expected_action, rtol=1e-12)
    assert stats["act_q"] == pytest.approx(expected_q, rel=1e-12)
    a, b = looped.get_weights(), single.get_weights()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-12, atol=1e-14, err_msg=name)


def test_bfloat16_matmuls_stay_close_to_float32(rng):
    """``matmul_precision="bfloat16"`` lets oneDNN run float32 matmuls in bfloat16 (about 3
    significant digits): the update must stay close to float32's, and the graph the same."""
    def f32(batch):
        return {k: v.astype(np.float32) for k, v in batch.items()}

    exact = make_agent(dtype="float32", actor_hidden=(64, 64), critic_hidden=(64, 64), step_ops=True)
    rounded = make_agent(dtype="float32", actor_hidden=(64, 64), critic_hidden=(64, 64),
                         matmul_precision="bfloat16", step_ops=True)
    rounded.set_weights(exact.get_weights())
    batch = f32(random_batch(rng, n=64))
    for grads in ("critic_grads", "actor_grads"):  # whole-gradient relative error
        ga, gb = (np.concatenate([g.ravel() for g in agent.session.run(
            getattr(agent.extension, grads), feed_dict(agent, batch))]) for agent in (exact, rounded))
        assert np.linalg.norm(gb - ga) < 0.05 * np.linalg.norm(ga), grads
    a, b = exact.train(batch), rounded.train(batch)
    for key in a:
        assert b[key] == pytest.approx(a[key], rel=0.05, abs=1e-3), key


def test_update_order_rules_on_the_papers_order_equal_the_straight_line(rng):
    """``update_order.apply`` on the unordered build of the paper's order gives the same
    updates as ``build_update``'s inline ordering: the rules and the straight line agree."""
    from ddpg_graph import update_order
    inline = make_agent()
    by_rules = make_agent(update_order="critic,targets,actor")  # any other order, then rebuilt:
    net = by_rules.net
    with by_rules.graph.as_default():
        by_rules.graph._unsafe_unfinalize()
        update = net.build_update(net.batch, None, ordered=False)
        update_order.apply(update, update_order.PAPER, net)
        by_rules.graph.finalize()
    weights = randomise(inline, rng)
    by_rules.set_weights(weights)
    for _ in range(3):
        batch = random_batch(rng)
        expected = inline.train(batch)
        stats = by_rules.session.run(list(update.stats) + [update.train_op], feed_dict(by_rules, batch))
        assert stats[1] == pytest.approx(expected["td_loss"], rel=1e-12)
    a, b = inline.get_weights(), by_rules.get_weights()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-12, atol=1e-14, err_msg=name)


def test_fed_arrays_take_the_placeholders_dtype(rng):
    """The agent's calls into TensorFlow cast what they are fed, as ``session.run`` does: a
    float64 observation gives a float32 agent the same action as its float32 copy."""
    agent = make_agent(dtype="float32")
    obs = rng.standard_normal(OBS_DIM)
    np.testing.assert_array_equal(agent.act(obs), agent.act(obs.astype(np.float32)))
    assert agent.act(obs).dtype == np.float32
    stats = agent.train(random_batch(rng))  # float64 arrays into float32 placeholders
    assert all(isinstance(v, np.float32) for v in stats.values())
