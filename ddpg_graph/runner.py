"""The training loop and evaluation: the only place that holds both the env and the agent.

A ``Trainer`` keeps every piece of loop state on itself, so a checkpoint can hold all of it:
weights and optimiser slots (TF), the replay ring, the noise process, every generator, the
envs (pickled, mid-episode included), counters and the history length. Resuming from a
checkpoint continues exactly as the uninterrupted run would have.
"""
from __future__ import annotations

import contextlib
import copy
import math
import os
import pickle
import signal
import sys
import threading
import time
from typing import List, Optional

import numpy as np

from . import checkpoint
from .agent import Agent
from .config import Config
from . import envs
from .envs import make_env
from .errors import CheckpointError, EnvError, Interrupted, RunError, first_line
from .history import History
from .noise import make_noise
from .oscilloscope import Oscilloscope, ScopeSink
from .replay import ReplayBuffer
from .rundir import RunDir
from .summaries import SummaryWriter

CONFIG_FILE = "config.json"
HISTORY_FILE = "history.csv"
STATE_FILE = "trainer.json"
ENV_FILES = {"env": "env.pkl", "eval_env": "eval_env.pkl"}
SCOPE_FILE = "scope.npy"


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
    """Trains ``config`` in ``run_dir`` (TensorBoard logs, ``history.csv``, checkpoints), or
    in memory alone when ``run_dir`` is None.

    ``env``: an env object (Gymnasium, gym 0.26 or pre-0.26; see ``envs``) instead of
    ``config.env_id``; the evaluation env is ``eval_env``, or a deep copy of ``env``.
    ``resume=True`` continues the run in ``run_dir`` from its latest checkpoint; ``config``
    must then be the run's own (see ``resume_config``), ``total_steps`` aside.
    """

    def __init__(self, config: Config, run_dir: Optional[str] = None, progress: bool = True,
                 overwrite: bool = False, resume: bool = False, env=None, eval_env=None):
        self.config = config
        self.run_dir = run_dir
        self.progress = progress
        if resume and not (run_dir and os.path.isdir(run_dir)):
            raise CheckpointError(f"nothing to resume: {run_dir} is not a run directory")
        self.lock = RunDir(run_dir, new=not resume, overwrite=overwrite) if run_dir else None
        try:
            self._build(env, eval_env, resume)
        except BaseException:
            if self.lock:
                self.lock.close(discard=not resume)
            raise

    def _build(self, env, eval_env, resume: bool) -> None:
        c, run_dir = self.config, self.run_dir
        resume_from = _latest_checkpoint(run_dir) if resume else None
        self.seeds = seeds = Seeds(c.seed)
        self.env, self.eval_env = _make_envs(c, seeds, env, eval_env, resume_from)
        space = self.env.action_space
        self.low, self.high = space.low.astype(np.float64), space.high.astype(np.float64)
        self.obs_dim, self.action_dim = self.env.observation_space.shape[0], space.shape[0]
        if resume_from:  # refuse a mismatched checkpoint before anything is built or written
            self._check_meta(checkpoint.read_meta(resume_from), resume_from)
        self.agent = Agent(c, self.obs_dim, self.low, self.high, seed=seeds.graph)
        self.buffer = ReplayBuffer(c.buffer_size, self.obs_dim, self.action_dim,
                                   seeds.rng("replay"), dtype=np.dtype(c.dtype))
        self.noise = make_noise(c, self.action_dim, seeds.rng("noise"))
        self.noise_scale = (self.high - self.low) / 2.0 if c.noise_relative else 1.0
        self.warmup_rng = seeds.rng("warmup")
        self.scope = self.scope_sink = None
        if c.scope != "off" and run_dir:  # (a run in memory has no oscilloscope)
            self.scope = _make_scope(self.low, self.high)
            self._scope_values = np.empty(2 * self.action_dim + 1)

        # loop state: everything a checkpoint must hold besides the objects above
        self.step = 0
        self.episode = 0
        self.obs = None  # None: the next step starts a new episode
        self.ep_return, self.ep_length = 0.0, 0
        self.sums = _StatSums()
        self.best_eval = -math.inf
        self.elapsed = 0.0  # wall-clock seconds of earlier sessions of this run
        self.last_checkpoint = None

        if resume_from:
            rows = self._restore(resume_from)
            self.history = History.load(os.path.join(run_dir, HISTORY_FILE), keep=rows,
                                        rewrite=True)
        elif run_dir:
            c.save(os.path.join(run_dir, CONFIG_FILE))
            self.history = History(os.path.join(run_dir, HISTORY_FILE))
        else:
            self.history = History()
        self.writer = SummaryWriter(os.path.join(run_dir, "tb"), self.agent.graph,
                                    purge_after=self.episode if resume_from else None) if run_dir else None
        if self.scope and run_dir:
            video = f"scope-from-step{self.step}.mp4" if resume_from else "scope.mp4"
            self.scope_sink = ScopeSink(self.scope, c.scope, os.path.join(run_dir, "scope"),
                                        c.scope_every, c.scope_png_every, video_name=video,
                                        title=f"ddpg_graph: {c.preset} on {c.env_id}")

    @property
    def start_learning(self) -> int:
        """Replay size from which updates run: ``learning_starts``, and at least a batch."""
        return max(self.config.learning_starts, self.config.batch_size)

    @property
    def checkpoint_dir(self) -> str:
        return os.path.join(self.run_dir, "checkpoints")

    # -- the loop -----------------------------------------------------------------------
    def run(self) -> History:
        """Trains until ``total_steps`` or ``total_episodes``. Ctrl-C finishes the current
        step, saves a checkpoint and raises ``Interrupted``."""
        c = self.config
        bar = _progress_bar(c.total_steps, self.step, self.progress)
        started = time.time() - self.elapsed
        interrupted = _InterruptFlag()
        try:
            with interrupted:
                if self.step == 0 and len(self.buffer) == 0:
                    self._prefill()
                while self._more_to_do() and not interrupted.raised:
                    if self.obs is None:
                        self.obs, _ = self.env.reset()
                        self.noise.reset()
                    if self.step < c.warmup_steps:
                        mu, noise, q = self.warmup_rng.uniform(self.low, self.high), 0.0, math.nan
                    else:
                        mu, q = self._act_and_maybe_train()
                        noise = self.noise_scale * self.noise.sample()
                    action = np.clip(mu + noise, self.low, self.high)
                    if self.scope:
                        self._trace_scope(mu, noise, q)
                    obs2, reward, terminated, truncated, _ = self.env.step(action)
                    self.ep_return += float(reward)
                    self._store(self.obs, action, reward, terminated, truncated, obs2, self.ep_return)
                    self.obs = obs2
                    self.step += 1
                    self.ep_length += 1
                    if terminated or truncated:
                        self.elapsed = time.time() - started
                        bar.update(self.ep_length)
                        bar.set_postfix_str(f"ep {self.episode} return {self.ep_return:.1f}")
                        self._end_episode()
                self.elapsed = time.time() - started
                saved = self.save_checkpoint()
        finally:
            bar.close()
            if self.writer:
                with self._writing("the TensorBoard log"):
                    self.writer.flush()
        if interrupted.raised:
            what = "interrupted" if interrupted.raised == signal.SIGINT else "terminated"
            raise Interrupted(f"{what} at step {self.step}; checkpoint saved to {saved}",
                              interrupted.raised, self.run_dir)
        return self.history

    def _trace_scope(self, mu, noise, q) -> None:
        """One oscilloscope column: the actions, the noise and Q (lanes as in _make_scope)."""
        values, n = self._scope_values, len(mu)
        values[:n] = mu
        values[n:2 * n] = noise
        values[2 * n] = q
        self.scope.add(values)
        try:
            self.scope_sink.step()
        except OSError as exc:
            where = self.last_checkpoint or "none was written"
            raise RunError(f"the oscilloscope could not write in {self.scope_sink.directory} "
                           f"at step {self.step} ({exc}); the last good checkpoint ({where}) "
                           f"is intact; --resume {self.run_dir} --scope off goes on "
                           "without it") from None

    def _more_to_do(self) -> bool:
        c = self.config
        return self.step < c.total_steps and (not c.total_episodes or self.episode < c.total_episodes)

    def _store(self, obs, action, reward, terminated, truncated, obs2, episode_return) -> None:
        """Adds a transition. Only a true terminal stops bootstrapping; a time limit
        (truncated) does not. The quirk options apply here."""
        c = self.config
        reward = float(reward)
        if c.terminal_reward and (terminated or truncated):
            reward = c.terminal_reward if episode_return > 0 else -c.terminal_reward
        done = 0.0 if c.ignore_done else float(terminated)
        self.buffer.add(obs, action, reward * c.reward_scale, done, obs2)

    def _prefill(self) -> None:
        """``prefill_steps`` uniform random transitions before episode 0, as the Keras
        notebook fills its memory; they are not part of the history."""
        if not self.config.prefill_steps:
            return
        obs, _ = self.env.reset()
        episode_return = 0.0
        for _ in range(self.config.prefill_steps):
            action = self.warmup_rng.uniform(self.low, self.high)
            obs2, reward, terminated, truncated, _ = self.env.step(action)
            episode_return += float(reward)
            self._store(obs, action, reward, terminated, truncated, obs2, episode_return)
            obs = obs2
            if terminated or truncated:
                obs, _ = self.env.reset()
                episode_return = 0.0

    def _act_and_maybe_train(self):
        """The policy's action for ``self.obs`` and its Q (NaN when not needed). Once there is
        enough to learn from, every ``train_every`` steps, the same session.run also trains:
        ``gradient_steps`` updates, each on its own replay batch."""
        c = self.config
        if (len(self.buffer) >= self.start_learning and not c.train_at_episode_end
                and self.step % c.train_every == 0):
            batch = self.buffer.sample(c.batch_size, steps=c.gradient_steps)
            mu, stats = self.agent.act_and_train(self.obs, batch)
            self._check_finite(stats, mu)
            self._record_update(stats, c.gradient_steps)
            return mu, stats.get("act_q", math.nan)
        if self.scope:
            return self.agent.act_with_q(self.obs)
        return self.agent.act(self.obs), math.nan

    def _record_update(self, stats, updates: int = 1) -> None:
        """Adds an update's statistics to the episode's and steps the noise's per-update decay."""
        self.sums.add(stats)
        for _ in range(updates):
            self.noise.on_update()

    def _train_burst(self) -> None:
        """The TF2 article's schedule: as many updates as the episode had steps, at its end."""
        c = self.config
        if len(self.buffer) < self.start_learning:
            return
        for _ in range(self.ep_length):
            stats = self.agent.train(self.buffer.sample(c.batch_size))
            self._check_finite(stats)
            self._record_update(stats)

    def _crossed(self, every: int) -> bool:
        """Whether the episode ending now crossed a multiple of ``every`` env steps (never for
        0): evaluation and checkpoint cadence, whatever the episodes' lengths."""
        return every > 0 and self.step // every > (self.step - self.ep_length) // every

    def _end_episode(self) -> None:
        c = self.config
        if c.train_at_episode_end:
            self._train_burst()
        row = dict(episode=self.episode, step=self.step, length=self.ep_length,
                   wall_time=self.elapsed, **self.sums.means())
        row["return"] = self.ep_return
        checkpoint_due = self._crossed(c.checkpoint_every_steps)
        if c.eval_episodes and self._crossed(c.eval_every_steps):
            row["eval_return"] = float(np.mean(evaluate(self.agent, self.eval_env, c.eval_episodes)))
        scalars = {"Reward": row["return"], "Qmax": row["qmax"], "Loss/critic": row["critic_loss"],
                   "Loss/actor": row["actor_loss"], "Q/mean": row["q_mean"],
                   "Eval/Reward": row.get("eval_return", math.nan)}
        with self._writing("history.csv"):
            self.history.append(row)
        if self.writer:
            with self._writing("the TensorBoard log"):
                self.writer.scalars(self.episode, {k: v for k, v in scalars.items() if not math.isnan(v)})
        self.episode += 1
        self.obs, self.ep_return, self.ep_length = None, 0.0, 0
        self.sums = _StatSums()
        links = ["latest"] if checkpoint_due else []
        if row.get("eval_return", -math.inf) > self.best_eval:
            self.best_eval = row["eval_return"]
            links += ["latest", "best"]
        if links:
            self.save_checkpoint(tuple(dict.fromkeys(links)))

    @contextlib.contextmanager
    def _writing(self, what: str):
        """A failed write (a full disk, a read-only file system) stops the run with one line
        naming the step and the checkpoint that is intact."""
        try:
            yield
        except OSError as exc:
            where = self.last_checkpoint or "none was written"
            raise RunError(f"could not write {what} at step {self.step} "
                           f"({exc.strerror or exc}); the last checkpoint ({where}) is intact") from None

    def _check_finite(self, stats, mu=None) -> None:
        bad_action = mu is not None and not np.all(np.isfinite(mu))
        if bad_action or not (math.isfinite(stats["critic_loss"])
                              and math.isfinite(stats["actor_loss"])):
            what = "action" if bad_action else "loss"
            where = self.last_checkpoint or "none was written"
            raise RunError(f"non-finite {what} at step {self.step}; the last good checkpoint "
                           f"({where}) is intact")

    # -- checkpoints --------------------------------------------------------------------
    def save_checkpoint(self, links=("latest",)) -> Optional[str]:
        """Writes a checkpoint of the whole run; returns its directory (None for a run in
        memory, which has none)."""
        if not self.run_dir:
            return None
        meta = {"preset": self.config.preset, "env_id": self.config.env_id,
                "obs_dim": self.obs_dim, "action_dim": self.action_dim,
                "seed": self.config.seed, "episode": self.episode}
        try:
            self.last_checkpoint = checkpoint.write(self.checkpoint_dir, self.step, self._fill,
                                                    meta, links)
        except checkpoint.CheckpointWriteError as exc:
            raise RunError(str(exc)) from None
        return self.last_checkpoint

    def _fill(self, directory: str) -> None:
        self.history.sync()  # the checkpoint counts its rows: they must be on disk first
        self.agent.save(directory)
        self.buffer.save(directory)
        self.config.save(os.path.join(directory, CONFIG_FILE))
        env_rngs = {}
        for attribute, filename in ENV_FILES.items():
            env = getattr(self, attribute)
            # Both: the pickled env (mid-episode state) and its generator (the fallback).
            env_rngs[attribute] = envs.generator_state(env)
            data = _pickle_round_trip(env)
            if data is None:
                self._warn_once(f"warning: {self.config.env_id} does not pickle and load back; "
                                f"a resume restores its generator and starts a new episode")
                continue
            with open(os.path.join(directory, filename), "wb") as f:
                f.write(data)
        scope_state = None
        if self.scope:
            scope_state = self.scope.state_dict()
            np.save(os.path.join(directory, SCOPE_FILE), scope_state.pop("raw"))
        checkpoint.dump_state(os.path.join(directory, STATE_FILE), {
            "env_rngs": env_rngs, "scope": scope_state,
            "step": self.step, "episode": self.episode, "obs": self.obs,
            "ep_return": self.ep_return, "ep_length": self.ep_length,
            "sums": self.sums.state_dict(), "best_eval": self.best_eval,
            "elapsed": self.elapsed, "history_rows": len(self.history),
            "noise": self.noise.state_dict(), "warmup_rng": self.warmup_rng.bit_generator.state,
            "replay": self.buffer.state_dict()})

    def _check_meta(self, meta: dict, directory: str) -> None:
        c = self.config
        expected = {"preset": c.preset, "env_id": c.env_id, "obs_dim": self.obs_dim,
                    "action_dim": self.action_dim}
        for key, value in expected.items():
            if meta.get(key) != value:
                raise CheckpointError(f"checkpoint {directory} was made with {key}={meta.get(key)!r}, "
                                f"this run has {key}={value!r}")

    def _restore(self, directory: str) -> int:
        """Loads every piece of state; returns how many history rows the checkpoint covers."""
        state = checkpoint.load_state(os.path.join(directory, STATE_FILE))
        self.agent.restore(directory)
        try:
            self.buffer.load(directory, state["replay"])
            restored_envs = {}
            for attribute, filename in ENV_FILES.items():
                path = os.path.join(directory, filename)
                env = _load_env(path)
                if env is not None:
                    restored_envs[attribute] = env
                    continue
                rng_state = state["env_rngs"].get(attribute)
                if rng_state:
                    envs.set_generator_state(getattr(self, attribute), rng_state)
            self.noise.load_state_dict(state["noise"])
            self.warmup_rng.bit_generator.state = state["warmup_rng"]
            self.sums.load_state_dict(state["sums"])
            self.step, self.episode = state["step"], state["episode"]
            self.obs, self.ep_return, self.ep_length = state["obs"], state["ep_return"], state["ep_length"]
            self.best_eval, self.elapsed = state["best_eval"], state["elapsed"]
            rows = int(state["history_rows"])
            if self.scope and state.get("scope"):
                raw = np.load(os.path.join(directory, SCOPE_FILE), allow_pickle=False)
                self.scope.load_state_dict(dict(state["scope"], raw=raw))
        except (OSError, KeyError, TypeError, ValueError, pickle.UnpicklingError, EOFError,
                AttributeError) as exc:
            raise CheckpointError(f"corrupt checkpoint {directory}: {type(exc).__name__}: "
                                  f"{first_line(exc)}") from None
        for attribute, env in restored_envs.items():
            envs.close(getattr(self, attribute))
            setattr(self, attribute, env)
        if "env" not in restored_envs and self.obs is not None:
            print(f"warning: {self.config.env_id} was not restored from its pickle; the resumed "
                  f"run restores its generator and starts a new episode instead of finishing "
                  f"episode {self.episode}", file=sys.stderr)
            self.obs, self.ep_return, self.ep_length = None, 0.0, 0
            self.sums = _StatSums()
        self.last_checkpoint = directory
        return rows

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _warn_once(self, message: str) -> None:
        warned = self.__dict__.setdefault("_warned", set())
        if message not in warned:
            warned.add(message)
            print(message, file=sys.stderr)

    def close(self) -> None:
        scope_error = None
        if self.scope_sink:
            try:
                self.scope_sink.close()
            except OSError as exc:  # the run itself is saved; only the scope's files are not
                scope_error = RunError(f"the oscilloscope could not write in "
                                       f"{self.scope_sink.directory}: {exc}")
        if self.writer:
            self.writer.close()
        self.agent.close()
        envs.close(self.env)
        envs.close(self.eval_env)
        if self.lock:
            self.lock.close()
        if scope_error:
            raise scope_error


def _make_envs(config: Config, seeds: Seeds, env, eval_env, resume_from: Optional[str]):
    """The training and evaluation envs: from ``config.env_id``, or from the objects given
    (the evaluation env defaults to a deep copy), or, for a run that was given objects and is
    resumed without them, from its checkpoint's pickles."""
    kwargs = config.env_kwargs
    if env is None and config.env_id.startswith("object:"):
        pickled = [_load_env(os.path.join(resume_from, ENV_FILES[a])) if resume_from else None
                   for a in ("env", "eval_env")]
        if None in pickled:
            raise EnvError(f"this run trained on a Python env object ({config.env_id}) that is not "
                           f"in its checkpoint; pass the env object again (train(..., env=...))")
        env, eval_env = pickled
    if env is None:
        return (make_env(config.env_id, seeds.env, kwargs),
                make_env(config.env_id, seeds.eval_env, kwargs))
    if eval_env is None:
        try:
            eval_env = copy.deepcopy(env)
        except Exception as exc:  # any failure of a user object's copy
            raise EnvError(f"cannot copy the env object for evaluation ({exc}); pass eval_env") from None
    return make_env(env, seeds.env), make_env(eval_env, seeds.eval_env)


def _pickle_round_trip(env) -> Optional[bytes]:
    """``env`` pickled, if it pickles and loads back; else None."""
    try:
        data = envs.dumps(env)
        envs.loads(data)
    except Exception:  # pickling runs arbitrary user code; any failure means "no pickle"
        return None
    return data


def _load_env(path: str):
    """The env pickled at ``path``, or None when it is missing or does not load."""
    try:
        with open(path, "rb") as f:
            return envs.loads(f.read())
    except Exception:  # unpickling runs arbitrary user code; any failure means "no pickle"
        return None


def _make_scope(low: np.ndarray, high: np.ndarray) -> Oscilloscope:
    """Lanes: each action dimension over its bounds, each noise dimension over plus or minus
    half the action range, then Q(s, mu(s)) on a range that grows with what it sees."""
    half = (high - low) / 2
    labels = ([f"action {i}" for i in range(len(low))] + [f"noise {i}" for i in range(len(low))]
              + ["Q(s, mu(s))"])
    ranges = ([(lo, hi) for lo, hi in zip(low, high)] + [(-h, h) for h in half] + [None])
    return Oscilloscope(labels, ranges)


def resume_config(run_dir: str) -> Config:
    """The config a run directory was started with."""
    if not os.path.exists(run_dir):
        raise CheckpointError(f"nothing to resume: {run_dir} does not exist")
    if not os.path.isdir(run_dir):
        raise CheckpointError(f"nothing to resume: {run_dir} is a file, not a run directory")
    return Config.load(os.path.join(run_dir, CONFIG_FILE))


class _StatSums:
    """Sums of the per-update statistics over one episode."""

    KEYS = {"qmax": "q_max", "critic_loss": "critic_loss", "actor_loss": "actor_loss",
            "q_mean": "q_mean"}

    def __init__(self):
        self.count = 0
        self.totals = dict.fromkeys(self.KEYS, 0.0)

    def add(self, stats) -> None:
        self.count += 1
        for key, stat in self.KEYS.items():
            self.totals[key] += float(stats[stat])

    def means(self) -> dict:
        return {k: (v / self.count if self.count else math.nan) for k, v in self.totals.items()}

    def state_dict(self) -> dict:
        return {"count": self.count, "totals": dict(self.totals)}

    def load_state_dict(self, state: dict) -> None:
        self.count, self.totals = state["count"], dict(state["totals"])


class _InterruptFlag:
    """Within ``with``: SIGINT (Ctrl-C) and SIGTERM (schedulers, preemption) set ``raised``
    to the signal instead of stopping the run mid-step (main thread only)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.raised = 0
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def _handle(self, signum, frame):
        self.raised = signum

    def __exit__(self, *exc):
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)


def _latest_checkpoint(run_dir: str) -> str:
    latest = checkpoint.resolve_link(os.path.join(run_dir, "checkpoints"), "latest")
    if latest is None:
        raise CheckpointError(f"nothing to resume: no checkpoint in {run_dir}")
    return latest


def _progress_bar(total: int, initial: int, enabled: bool):
    from tqdm import tqdm
    return tqdm(total=total, initial=initial, disable=not enabled, unit="step",
                mininterval=1.0, dynamic_ncols=True)


def load_checkpoint_agent(path: str, attempts: int = 3) -> tuple:
    """(config, agent, env) restored from a checkpoint directory or a run directory.

    The checkpoint is held (``checkpoint.reading``) while it is read, so a run that is still
    training does not prune it; one pruned between reading the ``latest`` link and taking
    hold of it is passed over for the newer one ``latest`` names (up to ``attempts`` times).
    """
    for _ in range(attempts):
        directory = checkpoint.resolve_link(os.path.join(path, "checkpoints"), "latest") or path
        with checkpoint.reading(directory) as present:
            if present or directory == path:
                return _load_checkpoint(path, directory)
    raise CheckpointError(f"no checkpoint at {path} stayed long enough to be read")


def _load_checkpoint(path: str, directory: str) -> tuple:
    if not os.path.exists(os.path.join(directory, CONFIG_FILE)):
        raise CheckpointError(f"no checkpoint at {path}")
    config = Config.load(os.path.join(directory, CONFIG_FILE))
    meta = checkpoint.read_meta(directory)
    seeds = Seeds(config.seed)
    train_env, env = _make_envs(config, seeds, None, None, directory)
    envs.close(train_env)  # (evaluation needs the evaluation env alone)
    space = env.action_space
    obs_dim, action_dim = env.observation_space.shape[0], space.shape[0]
    if (meta.get("obs_dim"), meta.get("action_dim")) != (obs_dim, action_dim):
        raise CheckpointError(f"checkpoint {directory} was made for observations of size "
                              f"{meta.get('obs_dim')} and actions of size {meta.get('action_dim')}; "
                              f"its config's env has {obs_dim} and {action_dim}")
    agent = Agent(config, obs_dim, space.low, space.high, seed=seeds.graph)
    try:
        agent.restore(directory)
    except BaseException:
        agent.close()
        raise
    return config, agent, env
