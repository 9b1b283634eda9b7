"""The training loop: the only place that holds both the envs and the agent.

Every part of a run keeps its own state: the agent (``save``/``restore``: everything
TensorFlow holds), the replay buffer and the envs (their own files), the noise, the warm-up
generator, the oscilloscope, the episode statistics and the loop's counters (``state_dict``).
``Trainer.bundle`` names them for ``checkpoint.Bundle``, which writes them together and checks
a checkpoint before restoring any of it, so a resumed run continues exactly as the
uninterrupted run would have. The run directory (creation, lock, naming, pruning) is
``rundir``'s.
"""
from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import time
from typing import Optional

import numpy as np
from tqdm import tqdm

from . import checkpoint, envs, rundir, summaries
from .agent import Agent
from .callbacks import Callbacks
from .config import Config
from .errors import CheckpointError, Interrupted, RunError, first_line
from .evaluation import run_episodes
from .history import COLUMNS, VECTOR_COLUMNS, EpisodeStats, History
from .interrupts import StopRequests
from .noise import make_noise
from .oscilloscope import Oscilloscope, ScopeSink
from .replay import ReplayBuffer
from .run_envs import (BadObservation, EnvSlot, VectorSlot, gymnasium_quiet, make_eval_env,
                       make_train_envs, part_name)
from .seeds import Seeds
from .summaries import SummaryWriter


class Trainer:
    """Trains ``config`` in ``run_dir`` (TensorBoard logs, ``history.csv``, checkpoints), or
    in memory alone when ``run_dir`` is None.

    ``env``: an env object (Gymnasium, gym 0.26 or pre-0.26; see ``envs``) instead of
    ``config.env_id``; the evaluation env is ``eval_env``, or a deep copy of ``env``.
    ``resume=True`` continues the run in ``run_dir`` from its latest checkpoint; ``config``
    must then be the run's own (see ``rundir.resume_config``), ``total_steps`` aside.
    ``callbacks``: objects called at the loop's events (see ``callbacks``); one that returns
    False stops the run cleanly, with a checkpoint.
    """

    def __init__(self, config: Config, run_dir: Optional[str] = None, progress: bool = True,
                 overwrite: bool = False, resume: bool = False, env=None, eval_env=None,
                 callbacks=()):
        self.config = config
        self.run_dir = run_dir
        self.progress = progress
        self.callbacks = Callbacks(callbacks)
        if resume and not (run_dir and os.path.isdir(run_dir)):
            raise CheckpointError(f"nothing to resume: {run_dir} is not a run directory")
        self.lock = rundir.RunDir(run_dir, new=not resume, overwrite=overwrite) if run_dir else None
        try:
            self._build(env, eval_env, resume)
        except BaseException:
            if self.lock:
                self.lock.close(discard=not resume)
            raise

    def _build(self, env, eval_env, resume: bool) -> None:
        c, run_dir = self.config, self.run_dir
        resume_from = _latest_checkpoint(run_dir) if resume else None
        seeds = Seeds(c.seed)
        # the evaluation env first: a route that cannot work fails here, in this process
        eval_env = make_eval_env(c, seeds, env, eval_env, resume_from)
        try:
            train_env = make_train_envs(c, seeds, env, resume_from)
        except BaseException:
            envs.close(eval_env)
            raise
        self.envs = {"env": VectorSlot(train_env, c.env_id), "eval_env": EnvSlot(eval_env, c.env_id)}
        space = train_env.single_action_space
        self.low, self.high = space.low.astype(np.float64), space.high.astype(np.float64)
        self.obs_dim, self.action_dim = train_env.single_observation_space.shape[0], space.shape[0]
        self.n_envs = c.n_envs
        self.agent = Agent(c, self.obs_dim, self.low, self.high, seed=seeds.graph)
        self.buffer = ReplayBuffer(c.buffer_size, self.obs_dim, self.action_dim,
                                   seeds.rng("replay"), dtype=np.dtype(c.dtype))
        # one noise process per env, each with its own generator
        self.noises = [make_noise(c, self.action_dim, seeds.rng("noise", i))
                       for i in range(self.n_envs)]
        self.noise_scale = (self.high - self.low) / 2.0 if c.noise_relative else 1.0
        self._noise_rows = np.zeros((self.n_envs, self.action_dim))  # [N,A] this step's samples
        self.warmup_rng = seeds.rng("warmup")
        # TD3's target-smoothing noise, fed with each batch (a random op in the graph would
        # hold a state no checkpoint saves)
        self.target_noise_rng = seeds.rng("target_noise") if c.target_noise > 0 else None
        self.scope = self.scope_sink = None
        if c.scope != "off" and run_dir:  # (a run in memory has no oscilloscope)
            self.scope = _make_scope(self.low, self.high)
            self._scope_values = np.empty(2 * self.action_dim + 1)

        # the loop's own state (state_dict): where the run is
        self.step = 0  # env steps, all envs together (n_envs per vector step)
        self.episode = 0  # episodes finished, all envs together
        self.obs = None  # [N,S] each env's observation; None: the next step starts new episodes
        self.ep_return = np.zeros(self.n_envs)  # [N] each env's episode so far
        self.ep_length = np.zeros(self.n_envs, np.int64)
        self.stats = [EpisodeStats() for _ in range(self.n_envs)]  # its updates' statistics
        self.best_eval = -math.inf
        self.elapsed = 0.0  # wall-clock seconds of earlier sessions of this run
        self.history_rows = 0  # (from a checkpoint: the rows it covers)
        self.last_checkpoint = None

        columns = VECTOR_COLUMNS if self.n_envs > 1 else COLUMNS
        if resume_from:
            self._restore(resume_from)
            self.history = History.load(os.path.join(run_dir, rundir.HISTORY_FILE),
                                        keep=self.history_rows, rewrite=True)
        elif run_dir:
            c.save(os.path.join(run_dir, rundir.CONFIG_FILE))
            self.history = History(os.path.join(run_dir, rundir.HISTORY_FILE), columns)
        else:
            self.history = History(columns=columns)
        self.writer = SummaryWriter(os.path.join(run_dir, rundir.TENSORBOARD_DIR), self.agent.graph,
                                    purge_after=self.episode if resume_from else None) if run_dir else None
        if self.scope and run_dir:
            video = f"scope-from-step{self.step}.mp4" if resume_from else "scope.mp4"
            self.scope_sink = ScopeSink(self.scope, c.scope, os.path.join(run_dir, rundir.SCOPE_DIR),
                                        c.scope_every, c.scope_png_every, video_name=video,
                                        title=f"ddpg_graph: {c.preset} on {c.env_id} (env 0)")

    @property
    def stopped_by(self) -> Optional[str]:
        """The callback event that stopped the run (``"Class.on_step"``), or None."""
        return self.callbacks.stopped_by

    @property
    def env(self):
        """The training envs: a Gymnasium vector env of ``n_envs``."""
        return self.envs["env"].env

    @property
    def eval_env(self):
        return self.envs["eval_env"].env

    @property
    def start_learning(self) -> int:
        """Replay size from which updates run: ``learning_starts``, and at least a batch."""
        return max(self.config.learning_starts, self.config.batch_size)

    @property
    def checkpoint_dir(self) -> str:
        return rundir.checkpoints_dir(self.run_dir)

    # -- the loop, in phases ------------------------------------------------------------
    def run(self) -> History:
        """Trains until ``total_steps`` or ``total_episodes``. Ctrl-C or SIGTERM finishes the
        current vector step, saves a checkpoint and raises ``Interrupted``."""
        bar = _progress_bar(self.config.total_steps, self.step, self.progress)
        started = time.time() - self.elapsed
        stop = StopRequests()
        try:
            with stop:
                if self.step == 0 and len(self.buffer) == 0:
                    self._prefill()
                while self._more_to_do() and not stop.signal and not self.stopped_by:
                    if self.obs is None:
                        self._begin_episodes()
                    ended = self._vector_step()
                    if ended.any():
                        self.elapsed = time.time() - started
                        bar.update(self.step - bar.n)
                        self._end_episodes(ended)
                        last = self.history.rows[-1]
                        bar.set_postfix_str(f"ep {last['episode']} return {last['return']:.1f}")
                self.elapsed = time.time() - started
                saved = self.save_checkpoint()
        finally:
            bar.close()
            if self.writer:
                with self._writing("the TensorBoard log"):
                    self.writer.flush()
        if stop.signal:
            what = "interrupted" if stop.signal == signal.SIGINT else "terminated"
            raise Interrupted(f"{what} at step {self.step}; checkpoint saved to {saved}",
                              stop.signal, self.run_dir)
        return self.history

    def _more_to_do(self) -> bool:
        c = self.config
        return self.step < c.total_steps and (not c.total_episodes or self.episode < c.total_episodes)

    def _prefill(self) -> None:
        """``prefill_steps`` uniform random transitions (rounded up to whole vector steps)
        before episode 0, as the Keras notebook fills its memory; not part of the history."""
        if not self.config.prefill_steps:
            return
        with self._env_errors("env.reset()"):
            obs, _ = self.env.reset()
        episode_return = np.zeros(self.n_envs)
        for _ in range(-(-self.config.prefill_steps // self.n_envs)):
            action = self.warmup_rng.uniform(self.low, self.high, (self.n_envs, self.action_dim))
            with self._env_errors("env.step()"):
                obs2, reward, terminated, truncated, info = self.env.step(action)
            episode_return += reward
            self._store(obs, action, reward, terminated, truncated, _next_obs(obs2, info),
                        episode_return)
            episode_return[terminated | truncated] = 0.0
            obs = obs2

    def _begin_episodes(self) -> None:
        """A new episode in every env (at the start, and after a resume that could not
        restore the envs mid-episode)."""
        with self._env_errors("env.reset()"):
            self.obs, _ = self.env.reset()
        for noise in self.noises:
            noise.reset(self.episode)

    def _vector_step(self) -> np.ndarray:
        """One step of every env: the actions (training on the way when due), the vector
        env's step, the transitions stored. Returns which envs' episodes ended [N]."""
        c, n = self.config, self.n_envs
        noise = self._noise_rows
        if self.step < c.warmup_steps:
            mu, q = self.warmup_rng.uniform(self.low, self.high, (n, self.action_dim)), None
            noise[:] = 0.0
        else:
            mu, q = self._act_and_maybe_train()
            for i, process in enumerate(self.noises):
                noise[i] = process.sample()
            noise *= self.noise_scale
        action = np.clip(mu + noise, self.low, self.high)
        if self.scope:
            self._trace_scope(mu[0], noise[0], math.nan if q is None else q[0])
        with self._env_errors("env.step()"):
            obs2, reward, terminated, truncated, info = self.env.step(action)
        self.ep_return += reward
        self._store(self.obs, action, reward, terminated, truncated, _next_obs(obs2, info),
                    self.ep_return)
        self.obs = obs2  # (an env whose episode ended is already reset: SAME_STEP autoreset)
        self.step += n
        self.ep_length += 1
        if self.callbacks:
            self.callbacks.fire("on_step", self)
        return terminated | truncated

    def _act_and_maybe_train(self):
        """The policy's actions for ``self.obs`` [N,A] and their Q [N] (None when not
        needed). Once there is enough to learn from, every ``train_every`` vector steps, the
        same session.run also trains: ``updates_per_round`` updates, each on its own batch."""
        c = self.config
        if (len(self.buffer) >= self.start_learning and not c.train_at_episode_end
                and (self.step // self.n_envs) % c.train_every == 0):
            k = c.updates_per_round
            batch = self._sample(k)
            started = time.perf_counter()
            mu, stats = self.agent.act_and_train(self.obs, batch)
            stats["seconds"] = time.perf_counter() - started
            self._check_finite(stats, mu)
            self._record_update(stats, k)
            return mu, stats["act_q"]
        if self.scope:
            return self.agent.act_with_q(self.obs)
        return self.agent.act(self.obs), None

    def _sample(self, steps: int = 1) -> dict:
        """A replay batch (``steps`` > 1: that many stacked), with TD3's smoothing noise
        ``eps`` ~ N(0, ``target_noise``) for its rows when that switch is on."""
        c = self.config
        batch = self.buffer.sample(c.batch_size, steps=steps)
        if self.target_noise_rng is None:
            return batch
        return dict(batch, eps=self.target_noise_rng.normal(0.0, c.target_noise, batch["a"].shape))

    def _store(self, obs, action, reward, terminated, truncated, obs2, episode_return) -> None:
        """Adds one vector step's N transitions. Only a true terminal stops bootstrapping; a
        time limit (truncated) does not. The quirk options apply here."""
        c = self.config
        reward = np.asarray(reward, np.float64)
        if c.terminal_reward:
            last = np.where(episode_return > 0, c.terminal_reward, -c.terminal_reward)
            reward = np.where(terminated | truncated, last, reward)
        done = np.zeros(len(reward)) if c.ignore_done else terminated.astype(np.float64)
        self.buffer.add_batch(obs, action, reward * c.reward_scale, done, obs2)

    def _record_update(self, stats, updates: int = 1) -> None:
        """Adds an update's statistics to every env's episode, steps the noises' per-update
        decay and tells the callbacks."""
        for episode_stats in self.stats:
            episode_stats.add(stats)
        for _ in range(updates):
            for noise in self.noises:
                noise.on_update()
        if self.callbacks:
            stats["updates"] = updates
            self.callbacks.fire("on_update", self, stats)

    def _train_burst(self, steps: int) -> None:
        """The TF2 article's schedule: as many updates as the episode had steps, at its end."""
        if len(self.buffer) < self.start_learning:
            return
        for _ in range(steps):
            batch = self._sample()
            started = time.perf_counter()
            stats = self.agent.train(batch)
            stats["seconds"] = time.perf_counter() - started
            self._check_finite(stats)
            self._record_update(stats)

    def _end_episodes(self, ended: np.ndarray) -> None:
        """The rows of the episodes that ended in this vector step, in env order, then one
        checkpoint if one was due (after every row: each env's state is then consistent)."""
        links = []
        for i in np.flatnonzero(ended):
            links += self._end_episode(int(i))
        if links:
            self.save_checkpoint(tuple(dict.fromkeys(links)))

    def _end_episode(self, i: int) -> list:
        """Env ``i``'s episode: its row (history, TensorBoard), its evaluation when due, a new
        episode's noise. Returns the checkpoint links due (none, latest, best)."""
        c = self.config
        if c.train_at_episode_end:
            self._train_burst(int(self.ep_length[i]))
        row = dict(episode=self.episode, step=self.step, length=int(self.ep_length[i]),
                   wall_time=self.elapsed, **self.stats[i].means())
        row["return"] = float(self.ep_return[i])
        if self.n_envs > 1:
            row["env"] = i
        last_step = self.history.rows[-1]["step"] if self.history.rows else 0
        checkpoint_due = self._crossed(c.checkpoint_every_steps, last_step)
        if c.eval_episodes and self._crossed(c.eval_every_steps, last_step):
            with self._env_errors("an evaluation"):
                played = run_episodes(self.agent, self.eval_env, c.eval_episodes)
            row["eval_return"] = float(np.mean([e.ret for e in played]))
            if self.writer:
                with self._writing("the TensorBoard log"):
                    self.writer.scalars(self.episode, {
                        summaries.EVAL_Q_S0: float(np.mean([e.q_s0 for e in played])),
                        summaries.EVAL_DISCOUNTED_RETURN: float(np.mean([e.discounted_return
                                                                         for e in played]))})
            self.callbacks.fire("on_evaluation", self, row["eval_return"])
        self._write_row(row)
        self.callbacks.fire("on_episode_end", self, self.history.rows[-1])
        self.episode += 1
        self.ep_return[i], self.ep_length[i] = 0.0, 0
        self.stats[i].reset()
        self.noises[i].reset(self.episode)
        links = [rundir.LATEST] if checkpoint_due else []
        if row.get("eval_return", -math.inf) > self.best_eval:
            self.best_eval = row["eval_return"]
            links += [rundir.LATEST, rundir.BEST]
        return links

    def _crossed(self, every: int, last_step: int) -> bool:
        """Whether the run crossed a multiple of ``every`` env steps (never for 0) since the
        last row, at ``last_step``: evaluation and checkpoint cadence, whatever the episodes'
        lengths."""
        return every > 0 and self.step // every > last_step // every

    def _write_row(self, row: dict) -> None:
        with self._writing("history.csv"):
            self.history.append(row)
        if self.writer:
            with self._writing("the TensorBoard log"):
                self.writer.row(self.episode, self.history.rows[-1])

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
            hint = (f"--resume {self.run_dir} --scope off goes on without it" if self.last_checkpoint
                    else "run again with --scope off")
            raise RunError(f"the oscilloscope could not write in {self.scope_sink.directory} "
                           f"at step {self.step} ({exc}); {self._intact()}; {hint}") from None

    # -- failures -----------------------------------------------------------------------
    def _intact(self) -> str:
        """What survives a stop: the clause every one-line failure ends with."""
        if self.last_checkpoint:
            return f"the last checkpoint ({self.last_checkpoint}) is intact"
        return "no checkpoint was written before it" if self.run_dir else "the run was in memory"

    @contextlib.contextmanager
    def _env_errors(self, what: str):
        """An exception from the env's own code stops the run with one line naming the env,
        its error, the step and what survives (``what``: "env.step()", ...); so does an
        observation its space cannot hold, and an ``async`` worker process that died."""
        try:
            # (Gymnasium logs an async worker's traceback; the one line below says it all)
            quiet = self.config.vector_mode == "async"
            with gymnasium_quiet() if quiet else contextlib.nullcontext():
                yield
        except (RunError, Interrupted):
            raise
        except Exception as exc:  # any error of the user's env
            env_id, intact = self.config.env_id, self._intact()
            if isinstance(exc, BadObservation):
                raise RunError(f"the env {env_id} {exc} at step {self.step}; its observation "
                               f"space is ({self.obs_dim},) of numbers; {intact}") from None
            if self.config.vector_mode == "async" and isinstance(exc, (EOFError, ConnectionError)):
                self.envs["env"].broken = True  # (the pipe to a worker process that is gone)
                raise RunError(f"a worker process of the async envs ({env_id}) died in {what} "
                               f"at step {self.step} ({type(exc).__name__}); {intact}") from None
            raise RunError(f"the env {env_id} raised in {what} at step {self.step}: "
                           f"{type(exc).__name__}: {first_line(exc)}; {intact}") from None

    @contextlib.contextmanager
    def _writing(self, what: str):
        """A failed write (a full disk, a read-only file system) stops the run with one line
        naming the step and the checkpoint that is intact."""
        try:
            yield
        except OSError as exc:
            raise RunError(f"could not write {what} at step {self.step} "
                           f"({exc.strerror or exc}); {self._intact()}") from None

    def _check_finite(self, stats, mu=None) -> None:
        """A non-finite loss or action stops the run with one line."""
        bad_action = mu is not None and not np.all(np.isfinite(mu))
        if bad_action or not (math.isfinite(stats["td_loss"])
                              and math.isfinite(stats["actor_loss"])):
            what = "action" if bad_action else "loss"
            raise RunError(f"non-finite {what} at step {self.step}; {self._intact()}")

    # -- checkpoints --------------------------------------------------------------------
    def bundle(self) -> checkpoint.Bundle:
        """The run's parts, as its checkpoints hold them."""
        c = self.config
        meta = {"preset": c.preset, "env_id": c.env_id, "obs_dim": self.obs_dim,
                "action_dim": self.action_dim, "seed": c.seed, "episode": self.episode}
        files = {"agent": self.agent, "replay": self.buffer, "config": _ConfigFile(c), **self.envs}
        states = {"loop": self, "warmup": checkpoint.GeneratorState(self.warmup_rng)}
        if self.target_noise_rng is not None:
            states["target_noise"] = checkpoint.GeneratorState(self.target_noise_rng)
        for i in range(self.n_envs):  # env 0's under a one-env run's names (see part_name)
            states[part_name(i).replace("env", "stats")] = self.stats[i]
            states[part_name(i).replace("env", "noise")] = self.noises[i]
        if self.scope:
            states["scope"] = self.scope
        return checkpoint.Bundle(meta, files, states)

    def save_checkpoint(self, links=(rundir.LATEST,)) -> Optional[str]:
        """Writes a checkpoint of the whole run; returns its directory (None for a run in
        memory, which has none)."""
        if not self.run_dir:
            return None
        try:
            self.history.sync()  # the checkpoint counts its rows: they must be on disk first
            self.last_checkpoint = self.bundle().save(self.checkpoint_dir, self.step, links)
        except OSError as exc:  # the history's fsync
            raise RunError(f"could not write history.csv at step {self.step} ({exc.strerror}); "
                           f"{self._intact()}") from None
        except checkpoint.CheckpointWriteError as exc:
            raise RunError(str(exc)) from None
        rundir.prune_checkpoints(self.checkpoint_dir)
        return self.last_checkpoint

    def state_dict(self) -> dict:
        """The loop's own state: counters, each env's episode under way, the best evaluation."""
        return {"step": self.step, "episode": self.episode, "obs": self.obs,
                "ep_return": self.ep_return, "ep_length": self.ep_length,
                "best_eval": self.best_eval, "elapsed": self.elapsed,
                "history_rows": len(self.history)}

    def load_state_dict(self, state: dict) -> None:
        n = self.n_envs  # (a one-env run's checkpoints hold scalars and one observation)
        self.step, self.episode = int(state["step"]), int(state["episode"])
        self.obs = None if state["obs"] is None else np.reshape(state["obs"], (n, -1))
        self.ep_return = np.asarray(state["ep_return"], np.float64).reshape(n)
        self.ep_length = np.asarray(state["ep_length"], np.int64).reshape(n)
        self.best_eval, self.elapsed = float(state["best_eval"]), float(state["elapsed"])
        self.history_rows = int(state["history_rows"])

    def _restore(self, directory: str) -> None:
        self.bundle().restore(directory)
        if not self.envs["env"].whole and self.obs is not None:
            print(f"warning: {self.config.env_id} was not restored from its pickle; the resumed "
                  f"run restores its generator and starts new episodes instead of finishing "
                  f"the ones under way", file=sys.stderr)
            self._forget_episodes()
        self.last_checkpoint = directory

    def _forget_episodes(self) -> None:
        self.obs = None
        self.ep_return[:], self.ep_length[:] = 0.0, 0
        for episode_stats in self.stats:
            episode_stats.reset()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

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
        for slot in self.envs.values():
            slot.close()
        if self.lock:
            self.lock.close()
        if scope_error:
            raise scope_error


class _ConfigFile:
    """The run's config as a checkpoint part: saved with each checkpoint, so the checkpoint
    alone can be evaluated or exported; the run's own config is not replaced on restore."""

    def __init__(self, config: Config):
        self.config = config

    def save(self, directory: str) -> None:
        self.config.save(os.path.join(directory, rundir.CONFIG_FILE))

    def restore(self, directory: str) -> None:
        pass


def _next_obs(obs2: np.ndarray, info: dict) -> np.ndarray:
    """Each env's next observation of this step: ``obs2``'s row, or, for an env whose
    episode ended (and which the vector env has already reset), its final observation."""
    if "_final_obs" not in info:
        return obs2
    next_obs = obs2.copy()
    for i in np.flatnonzero(info["_final_obs"]):
        next_obs[i] = info["final_obs"][i]
    return next_obs


def _make_scope(low: np.ndarray, high: np.ndarray) -> Oscilloscope:
    """Lanes: each action dimension over its bounds, each noise dimension over plus or minus
    half the action range, then Q(s, mu(s)) on a range that grows with what it sees."""
    half = (high - low) / 2
    labels = ([f"action {i}" for i in range(len(low))] + [f"noise {i}" for i in range(len(low))]
              + ["Q(s, mu(s))"])
    ranges = ([(lo, hi) for lo, hi in zip(low, high)] + [(-h, h) for h in half] + [None])
    return Oscilloscope(labels, ranges)


def _latest_checkpoint(run_dir: str) -> str:
    latest = rundir.latest_checkpoint(run_dir)
    if latest is None:
        raise CheckpointError(f"nothing to resume: no checkpoint in {run_dir}")
    return latest


def _progress_bar(total: int, initial: int, enabled: bool):
    return tqdm(total=total, initial=initial, disable=not enabled, unit="step",
                mininterval=1.0, dynamic_ncols=True)
