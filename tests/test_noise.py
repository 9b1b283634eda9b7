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
    noise.reset(1)
    np.testing.assert_array_equal(noise.x, 0.7)


def test_gaussian_decays_per_sample():
    noise = DecayingGaussian(1, rng(), sigma=3.0, decay=0.9995)
    first = np.array([noise.sample()[0] for _ in range(20_000)])
    assert noise.sigma == pytest.approx(3.0 * 0.9995 ** 20_000, rel=1e-9)
    noise.reset(1)
    assert noise.sigma == pytest.approx(3.0 * 0.9995 ** 20_000, rel=1e-9)  # reset keeps sigma
    expected = 3.0 * 0.9995 ** np.arange(20_000)
    assert np.std(first[:200] / expected[:200]) == pytest.approx(1.0, abs=0.12)
    assert np.std(first / expected) == pytest.approx(1.0, abs=0.02)


def test_emami_offset_is_one_over_one_plus_episode():
    noise = EmamiOffset(2, rng())
    values = []
    for episode in range(4):
        noise.reset(episode)
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


def spectral_slope(x, low, high, segment=4096):
    """Least-squares slope of log10 PSD against log10 frequency over [low, high] (Welch)."""
    segments = x[: len(x) // segment * segment].reshape(-1, segment)
    window = np.hanning(segment)
    psd = np.mean(np.abs(np.fft.rfft((segments - segments.mean(1, keepdims=True)) * window,
                                     axis=1)) ** 2, axis=0)
    f = np.fft.rfftfreq(segment)
    band = (f >= low) & (f <= high)
    return np.polyfit(np.log10(f[band]), np.log10(psd[band]), 1)[0]


def test_pink_noise_has_a_one_over_f_spectrum_over_two_decades():
    from ddpg_graph.noise import PinkNoise
    noise = PinkNoise(2, rng(0))
    x = np.array([noise.sample().copy() for _ in range(2 ** 18)])
    for dim in range(2):
        slope = spectral_slope(x[:, dim], 1e-3, 1e-1)  # two decades
        assert -1.2 <= slope <= -0.8, slope
        assert -1.2 <= spectral_slope(x[:, dim], 1e-2, 0.4) <= -0.8
    white = rng(1).standard_normal(2 ** 18)
    assert abs(spectral_slope(white, 1e-3, 1e-1)) < 0.1  # the estimator itself is unbiased
    assert abs(x.mean()) < 0.15 and x.var() == pytest.approx(1.0, abs=0.2)


def test_pink_noise_scale_anneals_per_episode_and_streams():
    from ddpg_graph.noise import PinkNoise
    noise = PinkNoise(1, rng(0), sigma=0.5, episode_decay=0.9)
    noise.reset(0)
    assert noise.sigma == 0.5  # episode 0 starts at the initial sigma
    noise.reset(1)
    noise.reset(2)
    assert noise.sigma == pytest.approx(0.5 * 0.81)
    before = noise.sources.copy()
    noise.sample()
    assert (noise.sources != before).any(axis=1).sum() == 1  # one source redrawn per step


def test_canton_noise_stationary_std_and_episode_decay():
    from ddpg_graph.noise import CantonNoise
    level = 0.1
    noise = CantonNoise(1, rng(0), sigma=level, episode_decay=0.99)
    x = np.array([noise.sample()[0] for _ in range(200_000)])[100:]
    assert x.std() == pytest.approx(0.9 / np.sqrt(0.19) * level, rel=0.03)
    lag1 = np.corrcoef(x[:-1], x[1:])[0, 1]
    assert lag1 == pytest.approx(0.9, abs=0.01)  # a leaky integrator, red noise
    state = noise.x.copy()
    noise.reset(0)
    noise.reset(1)
    assert noise.sigma == pytest.approx(level * 0.99)
    np.testing.assert_array_equal(noise.x, state)  # the state carries over episodes
    assert spectral_slope(x, 0.05, 0.4) < -1.3  # red: steeper than 1/f


@pytest.mark.parametrize("kind", ["pink", "canton"])
def test_new_noises_seeded_and_resumable(kind):
    config = Config(noise=kind, noise_sigma=0.2, noise_episode_decay=0.99)
    a, b = make_noise(config, 2, rng(5)), make_noise(config, 2, rng(5))
    for n in (a, b):
        n.reset(0)
    seq = [a.sample().copy() for _ in range(40)]
    assert np.array_equal(seq, [b.sample().copy() for _ in range(40)])
    state = a.state_dict()
    c = make_noise(config, 2, rng(77))
    c.load_state_dict(state)
    a.reset(1)
    c.reset(1)
    assert np.array_equal([a.sample().copy() for _ in range(10)], [c.sample().copy() for _ in range(10)])
