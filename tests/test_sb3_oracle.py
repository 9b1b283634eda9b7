"""Stable-Baselines3's DDPG as the oracle of the ``zoo`` preset, which claims its settings.

The update: ``zoo``'s agent (two towers, as the preset runs) and SB3's DDPG built from the same
config (``peers.make``) on a MuJoCo-like shape (11 observations, 3 actions with asymmetric
bounds) start from the same weights, take 3 chained updates on the same batches, and must
then hold the same actor, critic and targets. In float64 on both sides, so that any
difference in the arithmetic (Adam's epsilon, the action units the critic sees, the order of
the steps, the TD target) shows far above round-off; once in float32, as the preset runs.

``td3`` against SB3's TD3 the same way, with the same smoothing noise on both sides and 4
updates (two delayed actor steps).

The initialisation: copying weights would hide it, so each library draws its own and every
layer's distribution is compared (the bound of its uniform draw, from the largest magnitude
of thousands of draws).
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")

import gymnasium as gym  # noqa: E402

from ddpg_graph import peers  # noqa: E402
from ddpg_graph.agent import Agent  # noqa: E402
from ddpg_graph.config import Config  # noqa: E402

S, A, B = 11, 3, 64
LOW, HIGH = np.array([-1.0, -2.0, 0.0]), np.array([1.0, 0.5, 3.0])


class Shape(gym.Env):
    """Only the spaces: SB3 needs an env to build its model; nothing steps it here."""
    observation_space = gym.spaces.Box(-np.inf, np.inf, (S,), np.float32)
    action_space = gym.spaces.Box(LOW.astype(np.float32), HIGH.astype(np.float32), dtype=np.float32)


def zoo(**overrides):
    return Config.from_preset("zoo", env_id="Pendulum-v1", batch_size=B, **overrides)


def sb3_model(config):
    model = peers.make("sb3", config, Shape())
    from stable_baselines3.common.logger import configure
    model.set_logger(configure(None, []))
    return model


def layers(model):
    """SB3's networks as (our network scope, its Linear layers) pairs (TD3's second critic:
    ``q2``)."""
    def linear(module):
        return [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    p = model.policy
    pairs = [("main/pi", linear(p.actor)), ("target/pi", linear(p.actor_target))]
    for prefix, critic in (("main", p.critic), ("target", p.critic_target)):
        for i, q_network in enumerate(critic.q_networks):
            pairs.append((f"{prefix}/q{i + 1 if i else ''}", linear(q_network)))
    return pairs


def names(scope, count):
    """Our variable names for ``count`` layers under ``scope``: l0, l1, ..., out."""
    return [f"{scope}/{'out' if i == count - 1 else f'l{i}'}" for i in range(count)]


def copy_ours_into_sb3(agent, model):
    weights = agent.get_weights()
    with torch.no_grad():
        for scope, linears in layers(model):
            for name, linear in zip(names(scope, len(linears)), linears):
                linear.weight.copy_(torch.as_tensor(weights[f"{name}/w"].T))
                linear.bias.copy_(torch.as_tensor(weights[f"{name}/b"]))


def max_difference(agent, model):
    weights, worst = agent.get_weights(), {}
    for scope, linears in layers(model):
        for name, linear in zip(names(scope, len(linears)), linears):
            for ours, theirs in ((weights[f"{name}/w"].T, linear.weight), (weights[f"{name}/b"], linear.bias)):
                worst[scope] = max(worst.get(scope, 0.0),
                                   float(np.max(np.abs(ours - theirs.detach().numpy()))))
    return worst


def batches(dtype, count=3, seed=0, sigma=0.0):
    """``count`` replay batches: ours (actions in the env's bounds) and SB3's samples of the
    same transitions (actions in [-1, 1], as its buffer holds them); with ``sigma`` > 0,
    ours carries TD3's smoothing noise ``eps`` too (SB3 draws its own: ``same_noise``)."""
    from stable_baselines3.common.type_aliases import ReplayBufferSamples
    rng = np.random.default_rng(seed)
    for _ in range(count):
        unit = rng.uniform(-1, 1, (B, A))
        ours = {"s": rng.standard_normal((B, S)), "a": (HIGH + LOW) / 2 + (HIGH - LOW) / 2 * unit,
                "r": rng.standard_normal((B, 1)), "done": (rng.random((B, 1)) < 0.2) * 1.0,
                "s2": rng.standard_normal((B, S))}
        if sigma > 0:
            ours["eps"] = rng.normal(0.0, sigma, (B, A))
        ours = {k: v.astype(dtype) for k, v in ours.items()}
        t = {k: torch.as_tensor(v) for k, v in dict(ours, a=unit.astype(dtype)).items()}
        yield ours, ReplayBufferSamples(t["s"], t["a"], t["s2"], t["done"], t["r"])


@pytest.fixture
def sb3_keeps_float64(monkeypatch):
    """SB3's networks cast every observation to float32 (``preprocess_obs``); this keeps a
    Box observation's dtype, so that its float64 networks compute in float64."""
    monkeypatch.setattr("stable_baselines3.common.policies.preprocess_obs",
                        lambda obs, space, normalize_images=True: obs)


@pytest.fixture
def same_noise(monkeypatch):
    """SB3's TD3 draws its smoothing noise with ``Tensor.normal_`` on a copy of the batch's
    actions; this makes that draw the ``eps`` our batch carries (``same_noise.eps``)."""
    class Noise:
        eps = None

        @staticmethod
        def normal_(tensor, mean=0.0, std=1.0, **_):
            return tensor.copy_(torch.as_tensor(Noise.eps, dtype=tensor.dtype))
    monkeypatch.setattr(torch.Tensor, "normal_", Noise.normal_)
    return Noise


def updated(config, dtype, noise=None):
    """Our agent and SB3's model after 3 chained updates from the same weights (``noise``:
    ``same_noise``, for TD3's smoothing)."""
    agent = Agent(config, S, LOW, HIGH)
    model = sb3_model(config)
    if dtype == "float64":
        model.policy.double()  # (in place: the optimisers keep their parameters)
    copy_ours_into_sb3(agent, model)
    for ours, theirs in batches(dtype, count=4 if config.policy_delay > 1 else 3,
                                sigma=config.target_noise):
        agent.train(ours)
        if noise is not None:
            noise.eps = ours.get("eps")
        model.replay_buffer.sample = lambda batch_size, env=None, batch=theirs: batch
        model.train(gradient_steps=1, batch_size=B)
    return agent, model


# float32: round-off in a gradient near Adam's epsilon (1e-8) moves that weight's step, so the
# bound is 2% of one step of lr 1e-3 (6e-6 seen); float64 shows the arithmetic itself (5e-15 seen)
@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-12), ("float32", 2e-5)])
def test_zoo_update_is_sb3s(dtype, tolerance, sb3_keeps_float64):
    config = zoo(dtype=dtype)
    assert peers.differences(zoo()) == []
    agent, model = updated(config, dtype)
    worst = max_difference(agent, model)
    assert max(worst.values()) < tolerance, worst
    agent.close()


@pytest.mark.parametrize("change", [dict(optimizer="adam"), dict(critic_action_units="env"),
                                    dict(update_order="actor,critic,targets")])
def test_the_oracle_sees_each_difference(change, sb3_keeps_float64):
    """Each of the differences zoo removed, put back, moves the weights far beyond round-off
    (the test above would fail): TensorFlow's Adam, the critic on the env's action units, the
    update order of the TF2 article."""
    config = zoo(dtype="float64", **change)
    agent, model = updated(config, "float64")
    assert max(max_difference(agent, model).values()) > 1e-9
    agent.close()


def td3(**overrides):
    return Config.from_preset("td3", env_id="Pendulum-v1", batch_size=B, **overrides)


# float32: as above (1.9e-5 seen: the twin critics' steps double the round-off's chances)
@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-12), ("float32", 1e-4)])
def test_td3_update_is_sb3s_td3(dtype, tolerance, sb3_keeps_float64, same_noise):
    """``td3`` (two towers) and SB3's TD3 from the same weights, 4 updates on the same
    batches and the same smoothing noise (so 2 delayed actor steps and soft updates)."""
    config = td3(dtype=dtype)
    assert peers.differences(td3()) == [] and peers.is_td3(config)
    agent, model = updated(config, dtype, same_noise)
    assert type(model).__mro__[1].__name__ == "TD3"
    worst = max_difference(agent, model)
    assert set(worst) == {"main/pi", "target/pi", "main/q", "main/q2", "target/q", "target/q2"}
    assert max(worst.values()) < tolerance, worst
    agent.close()


@pytest.mark.parametrize("change", [dict(twin_critics=False), dict(target_noise=0.1),
                                    dict(target_noise_clip=0.1), dict(policy_delay=1)])
def test_the_td3_oracle_sees_each_switch(change, sb3_keeps_float64, same_noise):
    """Each of TD3's switches changed on SB3's side only: the weights part far beyond
    round-off (for twin_critics, SB3's second critic is then not ours: compared without it)."""
    agent = Agent(td3(dtype="float64"), S, LOW, HIGH)
    model = sb3_model(td3(dtype="float64", **change))
    model.policy.double()
    copy_ours_into_sb3(agent, model)
    for ours, theirs in batches("float64", count=4, sigma=agent.config.target_noise):
        agent.train(ours)
        same_noise.eps = ours["eps"] * (model.target_policy_noise / agent.config.target_noise)
        model.replay_buffer.sample = lambda batch_size, env=None, batch=theirs: batch
        model.train(gradient_steps=1, batch_size=B)
    assert max(max_difference(agent, model).values()) > 1e-9
    agent.close()


def bounds_of(arrays):
    """The largest magnitude in each layer's draws: the bound of its uniform distribution."""
    return [float(np.max(np.abs(a))) for a in arrays]


@pytest.mark.parametrize("seed", [0, 1])
def test_zoo_initial_weights_are_drawn_as_sb3s(seed):
    """Each layer of each network, drawn by each library: the same uniform bound (within 3%,
    the sampling error of a max over >= 300 draws is < 1%) and mean near zero. The paper's
    final layer, U(+-3e-3), is 20x too narrow for SB3's last layer, U(+-1/sqrt(300))."""
    config = zoo(seed=seed)
    agent = Agent(config, S, LOW, HIGH)
    ours = agent.get_weights()
    model = sb3_model(config)
    for scope, linears in layers(model):
        for name, linear in zip(names(scope, len(linears)), linears):
            for key, theirs in (("w", linear.weight.detach().numpy().T), ("b", linear.bias.detach().numpy())):
                mine = ours[f"{name}/{key}"]
                assert mine.shape == theirs.shape
                expected = 1 / np.sqrt(mine.shape[0] if key == "w" else linear.in_features)
                for what, values in (("ours", mine), ("SB3", theirs)):
                    bound = bounds_of([values])[0]
                    if values.size >= 300:  # enough draws to pin the bound down
                        assert abs(bound / expected - 1) < 0.03, (name, key, what, bound, expected)
                    else:  # the 3 output biases, 1 critic bias: inside the bound
                        assert bound <= expected, (name, key, what, bound, expected)
    agent.close()


def test_paper_final_init_is_not_sb3s():
    """The init test fails on the paper's final layer: its draws sit far inside SB3's bound."""
    agent = Agent(zoo(final_init=3e-3), S, LOW, HIGH)
    out = agent.get_weights()["main/pi/out/w"]
    assert bounds_of([out])[0] < 0.1 / np.sqrt(300)
    agent.close()
