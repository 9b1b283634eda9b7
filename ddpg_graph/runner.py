"""The training loop and evaluation: the only place that holds both the env and the agent."""
from __future__ import annotations

import math
import os
import shutil
import time
from typing import Callable, List, Optional

import numpy as np

from .agent import Agent
from .config import Config
from .envs import make_env
from .errors import UserError
from .history import History
from .noise import make_noise
from .replay import ReplayBuffer
from .summaries import SummaryWriter

CONFIG_FILE = "config.json"
HISTORY_FILE = "history.csv"


class Seeds:
    """Independent seeds for every random source of a run, all derived from ``config.seed``."""

    NAMES = ("env", "eval_env", "noise", "replay", "warmup", "graph")

    def __init__(self, seed: int):
        children = np.random.SeedSequence(seed).spawn(len(self.NAMES))
        for name, child in zip(self.NAMES, children):
            setattr(self, name, int(child.generate_state(1)[0] & 0x7FFFFFFF))

    def rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng(getattr(self, name))


def evaluate(agent: Agent, env, episodes: int) -> List[float]:
    """Returns of ``episodes`` noise-free episodes of ``agent``'s policy on ``env``."""
    returns = []
    for _ in range(episodes):
        obs, _ = env.reset()
        total, finished = 0.0, False
        while not finished:
            obs, reward, terminated, truncated, _ = env.step(agent.act(obs))
            total += float(reward)
            finished = terminated or truncated
        returns.append(total)
    return returns


class Trainer:
    """Trains ``config`` in ``run_dir``: TensorBoard logs, ``history.csv``, checkpoints."""

    def __init__(self, config: Config, run_dir: str, progress: bool = True,
                 overwrite: bool = False, log: Callable[[str], None] = print):
        self.config = c = config
        self.run_dir = run_dir
        self.progress = progress
        self.log = log
        if os.path.exists(os.path.join(run_dir, HISTORY_FILE)) and not overwrite:
            raise UserError(f"run directory {run_dir} already holds a run; pass --overwrite "
                            "or choose another --logdir")
        self.seeds = seeds = Seeds(c.seed)
        self.env = make_env(c.env_id, seeds.env, **c.env_kwargs)
        self.eval_env = make_env(c.env_id, seeds.eval_env, **c.env_kwargs)
        _prepare_run_dir(run_dir, overwrite)  # only once the env is known to be good
        space = self.env.action_space
        self.low, self.high = space.low.astype(np.float64), space.high.astype(np.float64)
        obs_dim, action_dim = self.env.observation_space.shape[0], space.shape[0]
        self.agent = Agent(c, obs_dim, self.low, self.high, seed=seeds.graph)
        self.buffer = ReplayBuffer(c.buffer_size, obs_dim, action_dim, seeds.rng("replay"),
                                   dtype=np.dtype(c.dtype))
        self.noise = make_noise(c, action_dim, seeds.rng("noise"))
        self.noise_scale = (self.high - self.low) / 2.0 if c.noise_relative else 1.0
        self.warmup_rng = seeds.rng("warmup")
        c.save(os.path.join(run_dir, CONFIG_FILE))
        self.history = History(os.path.join(run_dir, HISTORY_FILE))
        self.writer = SummaryWriter(os.path.join(run_dir, "tb"), self.agent.graph)
        self.best_eval = -math.inf

    @property
    def checkpoint_dir(self) -> str:
        return os.path.join(self.run_dir, "checkpoints")

    def run(self) -> History:
        c = self.config
        start_learning = max(c.learning_starts, c.batch_size)
        bar = _progress_bar(c.total_steps, self.progress)
        started = time.time()
        obs, _ = self.env.reset()
        self.noise.reset()
        episode, ep_return, ep_length = 0, 0.0, 0
        sums = _StatSums()
        try:
            for step in range(c.total_steps):
                if step < c.warmup_steps:
                    action = self.warmup_rng.uniform(self.low, self.high)
                else:
                    if len(self.buffer) >= start_learning:
                        mu, stats = self.agent.act_and_train(obs, self.buffer.sample(c.batch_size))
                        sums.add(stats)
                    else:
                        mu = self.agent.act(obs)
                    action = np.clip(mu + self.noise_scale * self.noise.sample(), self.low, self.high)
                obs2, reward, terminated, truncated, _ = self.env.step(action)
                # Only a true terminal stops bootstrapping; a time limit (truncated) does not.
                self.buffer.add(obs, action, float(reward) * c.reward_scale, float(terminated), obs2)
                obs = obs2
                ep_return += float(reward)
                ep_length += 1
                if terminated or truncated:
                    row = dict(episode=episode, step=step + 1, length=ep_length,
                               wall_time=time.time() - started, **sums.means())
                    row["return"] = ep_return
                    self._end_episode(episode, row)
                    bar.update(ep_length)
                    bar.set_postfix_str(f"ep {episode} return {ep_return:.1f}")
                    episode, ep_return, ep_length = episode + 1, 0.0, 0
                    sums = _StatSums()
                    obs, _ = self.env.reset()
                    self.noise.reset()
        finally:
            bar.close()
            self._save("latest")
            self.writer.close()
        return self.history

    def _end_episode(self, episode: int, row: dict) -> None:
        c = self.config
        if c.eval_every and c.eval_episodes and (episode + 1) % c.eval_every == 0:
            row["eval_return"] = float(np.mean(evaluate(self.agent, self.eval_env, c.eval_episodes)))
        self.history.append(row)
        scalars = {"Reward": row["return"], "Qmax": row["qmax"], "Loss/critic": row["critic_loss"],
                   "Loss/actor": row["actor_loss"], "Q/mean": row["q_mean"]}
        if not math.isnan(row.get("eval_return", math.nan)):
            scalars["Eval/Reward"] = row["eval_return"]
        self.writer.scalars(episode, {k: v for k, v in scalars.items() if not math.isnan(v)})
        if c.checkpoint_every and (episode + 1) % c.checkpoint_every == 0:
            self._save("latest")
        if row.get("eval_return", -math.inf) > self.best_eval:
            self.best_eval = row["eval_return"]
            self._save("best")

    def _save(self, name: str) -> str:
        directory = os.path.join(self.checkpoint_dir, name)
        self.agent.save(directory)
        self.config.save(os.path.join(directory, CONFIG_FILE))
        return directory

    def close(self) -> None:
        self.agent.close()
        self.env.close()
        self.eval_env.close()


class _StatSums:
    """Sums of the per-update statistics over one episode."""

    def __init__(self):
        self.count = 0
        self.totals = {"qmax": 0.0, "critic_loss": 0.0, "actor_loss": 0.0, "q_mean": 0.0}

    def add(self, stats) -> None:
        self.count += 1
        self.totals["qmax"] += stats["q_max"]
        self.totals["critic_loss"] += stats["critic_loss"]
        self.totals["actor_loss"] += stats["actor_loss"]
        self.totals["q_mean"] += stats["q_mean"]

    def means(self) -> dict:
        return {k: (v / self.count if self.count else math.nan) for k, v in self.totals.items()}


def _prepare_run_dir(run_dir: str, overwrite: bool) -> None:
    try:
        os.makedirs(run_dir, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create run directory {run_dir}: {exc.strerror}") from None
    if overwrite:
        for name in (HISTORY_FILE, CONFIG_FILE, "tb", "checkpoints"):
            path = os.path.join(run_dir, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.remove(path)


def _progress_bar(total: int, enabled: bool):
    from tqdm import tqdm
    return tqdm(total=total, disable=not enabled, unit="step", mininterval=1.0,
                dynamic_ncols=True)


def load_checkpoint_agent(checkpoint: str) -> tuple:
    """(config, agent, env) restored from a checkpoint directory or a run directory."""
    directory = checkpoint
    run_latest = os.path.join(checkpoint, "checkpoints", "latest")
    if os.path.isdir(run_latest):
        directory = run_latest
    if not os.path.exists(os.path.join(directory, CONFIG_FILE)):
        raise UserError(f"no checkpoint at {checkpoint}")
    config = Config.load(os.path.join(directory, CONFIG_FILE))
    seeds = Seeds(config.seed)
    env = make_env(config.env_id, seeds.eval_env, **config.env_kwargs)
    space = env.action_space
    agent = Agent(config, env.observation_space.shape[0], space.low, space.high, seed=seeds.graph)
    agent.restore(directory)
    return config, agent, env
