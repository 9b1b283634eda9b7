"""Noise-free evaluation, and loading a checkpoint's agent to evaluate or export it."""
from __future__ import annotations

import math
import os
from typing import List, NamedTuple

from . import checkpoint, envs, rundir
from .agent import Agent
from .config import Config
from .errors import CheckpointError
from .run_envs import make_eval_env
from .seeds import Seeds


class Episode(NamedTuple):
    """One noise-free episode: its return; its discounted return from the first state,
    ``sum_t gamma^t reward_scale r_t`` (the critic's units, cut at the episode's end); and the
    critic's ``Q(s0, mu(s0))`` at that first state. ``q_s0 - discounted_return`` is the
    overestimation Fujimoto et al. (2018) measured (their Figure 1)."""
    ret: float
    discounted_return: float
    q_s0: float


def play_episode(env, policy, value=None, gamma: float = 1.0, reward_scale: float = 1.0,
                 seed=None) -> Episode:
    """One episode of ``policy(obs) -> action`` on ``env`` (reset with ``seed`` when given),
    with ``value(obs) -> Q`` read at its first state (None: NaN)."""
    obs, _ = env.reset() if seed is None else env.reset(seed=seed)
    q_s0 = float(value(obs)) if value is not None else math.nan
    total = discounted = 0.0
    discount, finished = 1.0, False
    while not finished:
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        total += float(reward)
        discounted += discount * reward_scale * float(reward)
        discount *= gamma
        finished = terminated or truncated
    return Episode(total, discounted, q_s0)


def run_episodes(agent: Agent, env, episodes: int) -> List[Episode]:
    """``episodes`` noise-free episodes of ``agent``'s policy on ``env``."""
    c = agent.config
    return [play_episode(env, agent.act, lambda obs: agent.act_with_q(obs)[1], c.gamma,
                         c.reward_scale) for _ in range(episodes)]


def evaluate(agent: Agent, env, episodes: int) -> List[float]:
    """Returns of ``episodes`` noise-free episodes of ``agent``'s policy on ``env``."""
    return [episode.ret for episode in run_episodes(agent, env, episodes)]


def load_checkpoint_agent(path: str, attempts: int = 3) -> tuple:
    """(config, agent, evaluation env) from a checkpoint directory or a run directory.

    The checkpoint is held (``checkpoint.reading``) while it is read, so a run that is still
    training does not prune it; one pruned between reading the ``latest`` link and taking
    hold of it is passed over for the newer one ``latest`` names (up to ``attempts`` times).
    """
    for _ in range(attempts):
        directory = rundir.latest_checkpoint(path)
        if directory is None and os.path.exists(os.path.join(path, rundir.LOCK_FILE)):
            raise CheckpointError(f"no checkpoint at {path}: its run has not written one yet")
        directory = directory or path  # (else path is a checkpoint directory itself)
        with rundir.reading(directory) as present:
            if present or directory == path:
                return _load(path, directory)
    raise CheckpointError(f"no checkpoint at {path} stayed long enough to be read")


def _load(path: str, directory: str) -> tuple:
    if not os.path.exists(os.path.join(directory, rundir.CONFIG_FILE)):
        raise CheckpointError(f"no checkpoint at {path}")
    config = Config.load(os.path.join(directory, rundir.CONFIG_FILE))
    seeds = Seeds(config.seed)
    env = make_eval_env(config, seeds, checkpoint_dir=directory)
    space = env.action_space
    obs_dim, action_dim = env.observation_space.shape[0], space.shape[0]
    agent = Agent(config, obs_dim, space.low, space.high, seed=seeds.graph)
    try:
        meta = {"preset": config.preset, "env_id": config.env_id, "obs_dim": obs_dim,
                "action_dim": action_dim}
        checkpoint.Bundle(meta, files={"agent": agent}).restore(directory)
    except BaseException:
        agent.close()
        envs.close(env)
        raise
    return config, agent, env
