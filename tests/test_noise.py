import numpy as np
import pytest

from ddpg_graph.config import Config
from ddpg_graph.noise import DecayingGaussian, EmamiOffset, OrnsteinUhlenbeck, make_noise


def rng(seed=0):
    return np.random.default_rng(seed)


def test_ou_reverts_to_its_mean():
    noise = OrnsteinUhlenbeck(1, rng(), sigma=0.0, theta=0.15, mu=0.5)
    noise.x = np.array([10.0])
    for _ in range(20):
        noise.sample()
    assert noise.x[0] == pytest.approx(0.5 + 9.5 * 0.85 ** 20, rel=1e-12)


def test_ou_stationary_variance_and_mean():
    sigma, theta, dt = 0.3, 0.15, 1.0
    noise = OrnsteinUhlenbeck(2, rng(), sigma=sigma, theta=theta, mu=0.2, dt=dt)
    samples = np.array([noise.sample().copy() for _ in range(200_000)])[1000:]
    expected_var = sigma ** 2 * dt / (1 - (1 - theta * dt) ** 2)
    np.testing.assert_allclose(samples.var(axis=0), expected_var, rtol=0.06)
    np.testing.assert_allclose(samples.mean(axis=0), 0.2, atol=0.03)
    lag1 = np.corrcoef(samples[:-1, 0], samples[1:, 0])[0, 1]
    assert lag1 == pytest.approx(1 - theta * dt, abs=0.01)


def test_ou_reset_restarts_from_mu():
    noise = OrnsteinUhlenbeck(3, rng(), mu=0.7)
    noise.sample()
    noise.reset()
    np.testing.assert_array_equal(noise.x, 0.7)


def test_gaussian_decays_per_sample():
    noise = DecayingGaussian(1, rng(), sigma=3.0, decay=0.9995)
    first = np.array([noise.sample()[0] for _ in range(20_000)])
    assert noise.sigma == pytest.approx(3.0 * 0.9995 ** 20_000, rel=1e-9)
    noise.reset()
    assert noise.sigma == pytest.approx(3.0 * 0.9995 ** 20_000, rel=1e-9)  # reset keeps sigma
    expected = 3.0 * 0.9995 ** np.arange(20_000)
    assert np.std(first[:200] / expected[:200]) == pytest.approx(1.0, abs=0.12)
    assert np.std(first / expected) == pytest.approx(1.0, abs=0.02)


def test_emami_offset_is_one_over_one_plus_episode():
    noise = EmamiOffset(2, rng())
    values = []
    for _ in range(4):
        noise.reset()
        values.append(noise.sample()[0])
    assert values == [1.0, 0.5, pytest.approx(1 / 3), 0.25]


@pytest.mark.parametrize("kind", ["ou", "gaussian"])
def test_seeded_and_resumable(kind):
    config = Config(noise=kind, noise_sigma=0.4, noise_decay=0.999)
    a, b = make_noise(config, 2, rng(5)), make_noise(config, 2, rng(5))
    seq_a = [a.sample().copy() for _ in range(50)]
    assert np.array_equal(seq_a, [b.sample().copy() for _ in range(50)])
    state = a.state_dict()
    after = [a.sample().copy() for _ in range(20)]
    c = make_noise(config, 2, rng(99))
    c.load_state_dict(state)
    assert np.array_equal(after, [c.sample().copy() for _ in range(20)])
    d = make_noise(config, 2, rng(6))
    assert not np.array_equal(seq_a, [d.sample().copy() for _ in range(50)])
