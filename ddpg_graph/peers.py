"""The same settings in the peer libraries: Stable-Baselines3's DDPG (``sb3``) and SBX's
(``sbx``, SB3 on JAX), built from a ``Config``; their TD3 when one of TD3's switches is on
(SB3's DDPG is its TD3 with the three off).

One translation of the config's values, used wherever ddpg_graph is set beside a peer: the
SB3 oracle tests, ``tools/bench.py`` and ``tools/suite.py``. The peers are optional
(``pip install -e .[bench]``); nothing here imports them until a model is made.

What SB3 cannot say, ``differences(config)`` lists: a preset that claims SB3's settings
(``zoo``) has none. What the two do differently whatever the settings:

- SB3 trains after storing a step, ddpg_graph in the same ``session.run`` that acts (one run
  per env step), so ddpg_graph's k-th update samples a buffer one transition shorter than
  SB3's; the actions of every step come from weights after the same number of updates;
- SB3 explores uniformly until ``learning_starts``, ddpg_graph until ``warmup_steps``
  (``zoo``: both 10,000);
- the random streams (initial weights, noise, batches, warm-up) are each library's own.
"""
from __future__ import annotations

import time

import numpy as np

from .errors import UserError

LIBRARIES = {"sb3": "stable_baselines3", "sbx": "sbx"}  # library -> the module it needs
ACTIVATIONS = {"relu": "ReLU", "elu": "ELU", "tanh": "Tanh"}  # torch.nn's classes (SBX: flax's)


def differences(config) -> list:
    """The settings of ``config`` that SB3's DDPG would run otherwise, one phrase each."""
    c = config
    checks = [
        (c.actor_model or c.critic_model, "tf_keras models"),
        (c.critic_action_input != "concat", "the action entering the critic's 2nd layer"),
        (c.residual_blocks, "residual blocks"),
        (c.final_init != 0, f"the final layers drawn from U(+-{c.final_init:g})"),
        (c.critic_action_units != "unit", "the critic on actions in the env's units"),
        (c.optimizer != "torch_adam", f"the optimizer {c.optimizer!r}"),
        (c.critic_l2, "critic L2"),
        (c.noise not in ("gaussian", "ou", "none"), f"{c.noise!r} noise"),
        (c.noise_decay != 1, "decaying noise"),
        (c.warmup_steps not in (0, c.learning_starts), "warm-up steps other than learning_starts"),
        (c.prefill_steps, "prefill steps"),
        (c.reward_scale != 1, "reward scaling"),
        (c.update_order != "critic,actor,targets", "another update order"),
        (c.train_at_episode_end or c.ignore_done or c.terminal_reward or c.bootstrap_on_terminal,
         "a tutorial's quirk"),
        (c.dtype != "float32", "float64"),
    ]
    return [what for bad, what in checks if bad]


def is_td3(config) -> bool:
    """Whether ``config`` turns on one of TD3's fixes (the peers then run their TD3 class)."""
    return bool(config.twin_critics or config.target_noise > 0 or config.policy_delay > 1)


def check_installed(library: str) -> None:
    """One line naming the extra to install when ``library``'s package is missing."""
    import importlib.util
    if library not in LIBRARIES:
        raise UserError(f"unknown peer {library!r}; choose one of: {', '.join(LIBRARIES)}")
    if importlib.util.find_spec(LIBRARIES[library]) is None:
        raise UserError(f"{library} is not installed: pip install -e .[bench]")


def action_noise(config, action_space, n_envs: int = 1):
    """SB3's action-noise object for ``config``'s noise, in SB3's [-1, 1] action units (a
    ``noise_relative`` sigma is in half ranges already; an absolute one is divided by them)."""
    from stable_baselines3.common.noise import (NormalActionNoise, OrnsteinUhlenbeckActionNoise,
                                                VectorizedActionNoise)
    c = config
    if c.noise == "none":
        return None
    half_range = (action_space.high - action_space.low) / 2.0
    sigma = np.full(action_space.shape, c.noise_sigma) / (1.0 if c.noise_relative else half_range)
    zeros = np.zeros(action_space.shape)
    if c.noise == "gaussian":
        noise = NormalActionNoise(zeros, sigma)
    else:
        mean = zeros + c.noise_mu / (1.0 if c.noise_relative else half_range)
        noise = OrnsteinUhlenbeckActionNoise(mean, sigma, theta=c.noise_theta, dt=c.noise_dt)
    return VectorizedActionNoise(noise, n_envs) if n_envs > 1 else noise


def make(library: str, config, env, seed: int = None, on_train=None):
    """``library``'s DDPG (TD3, when ``is_td3(config)``) on ``env`` (a Gymnasium env or an SB3
    ``VecEnv``) with ``config``'s values and seed, the actor and the critic each at its own learning rate. ``on_train``:
    called with the seconds and the number of updates of each of the library's ``train``
    calls (SBX's block on the losses they log)."""
    check_installed(library)
    c = config
    if library == "sbx":
        import flax.linen as nn
        from sbx import DDPG, TD3
        rates = dict(learning_rate=c.actor_lr, qf_learning_rate=c.critic_lr)
        activation = getattr(nn, ACTIVATIONS[c.activation].lower())
    else:
        import torch
        from stable_baselines3 import DDPG, TD3
        rates = dict(learning_rate=c.critic_lr)
        activation = getattr(torch.nn, ACTIVATIONS[c.activation])

    algorithm, td3 = DDPG, {}
    if is_td3(c):
        algorithm, td3 = TD3, dict(policy_delay=c.policy_delay, target_policy_noise=c.target_noise,
                                   target_noise_clip=c.target_noise_clip)

    class PeerDDPG(algorithm):
        """The library's DDPG with the actor's and the critic's learning rates apart (SB3
        sets every optimiser to its one learning rate at each ``train``), its update calls
        reported to ``on_train``."""

        def train(self, gradient_steps, batch_size=100):
            started = time.perf_counter()
            super().train(gradient_steps, batch_size)
            if on_train is not None:
                on_train(time.perf_counter() - started, gradient_steps)

        def _update_learning_rate(self, optimizers):
            if library == "sbx":
                return super()._update_learning_rate(optimizers)
            for optimizer, rate in ((self.actor.optimizer, c.actor_lr),
                                    (self.critic.optimizer, c.critic_lr)):
                for group in optimizer.param_groups:
                    group["lr"] = rate

    n_envs = getattr(env, "num_envs", 1)
    return PeerDDPG(
        "MlpPolicy", env, buffer_size=c.buffer_size, learning_starts=c.learning_starts,
        batch_size=c.batch_size, tau=c.tau, gamma=c.gamma, train_freq=c.train_every,
        gradient_steps=c.updates_per_round, action_noise=action_noise(c, env.action_space, n_envs),
        policy_kwargs=dict(net_arch=dict(pi=list(c.actor_hidden), qf=list(c.critic_hidden)),
                           activation_fn=activation, n_critics=2 if c.twin_critics else 1),
        seed=c.seed if seed is None else seed, device="cpu", **rates, **td3)


def value_function(library: str, model):
    """``obs [S] -> Q(obs, pi(obs))`` of ``model`` (made by ``make``): its first critic on its
    deterministic action, for the overestimation measure."""
    if library == "sbx":
        import jax.numpy as jnp
        policy = model.policy

        def value(obs):
            obs = jnp.asarray(obs, jnp.float32)[None]
            action = policy.actor_state.apply_fn(policy.actor_state.params, obs)
            qs = policy.qf_state.apply_fn(policy.qf_state.params, obs, action)
            return float(qs[0].reshape(-1)[0])
        return value
    import torch

    def value(obs):
        with torch.no_grad():
            obs = torch.as_tensor(obs, dtype=torch.float32)[None]
            return float(model.critic.q1_forward(obs, model.actor(obs))[0, 0])
    return value
