"""A run's envs: the ``n_envs`` training envs as one Gymnasium vector env, the evaluation env
alone; made from the config or from the objects given, and kept in the run's checkpoints.

The vector env is ``gymnasium.vector.SyncVectorEnv`` (``vector_mode="sync"``) or
``AsyncVectorEnv`` (``"async"``: one process per env), in Gymnasium's ``SAME_STEP`` autoreset
mode: a sub-env whose episode ends is reset inside that same ``step``, which returns the
final observation in ``info["final_obs"]``. So no reset is ever pending between two steps,
and a checkpoint taken after any step holds every sub-env as it is (``VectorSlot``).

Each sub-env is wrapped in ``SubEnv``, which runs where the sub-env runs (in its worker
process for ``async``): it hands out and takes back its own state (``call("snapshot")``,
``call("load_snapshot", ...)``), checks its observations, and, in a worker, ignores the
Ctrl-C and SIGTERM meant for the trainer, which stops at the end of its step.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import os
import signal
import sys
from typing import Any, List, Optional

import gymnasium as gym
import numpy as np

from . import checkpoint, config as _config, envs
from .errors import EnvError, first_line

EVAL_ENV = "eval_env"


def part_name(i: int) -> str:
    """Sub-env ``i``'s name in a checkpoint: ``env``, ``env1``, ``env2``, ... (env 0 keeps a
    one-env run's name, so that the checkpoints of earlier runs still resume)."""
    return f"env{i}" if i else "env"


class BadObservation(Exception):
    """A sub-env returned an observation that its observation space cannot hold."""


class SubEnv(gym.Wrapper):
    """Sub-env ``index`` of the training vector env (see the module's docstring)."""

    def __init__(self, env: gym.Env, index: int, in_worker: bool = False):
        super().__init__(env)
        self.index = index
        self._obs_shape = env.observation_space.shape
        if in_worker:  # the trainer finishes its step and saves them on Ctrl-C or SIGTERM
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        return self._checked(obs), info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return self._checked(obs), reward, terminated, truncated, info

    def _checked(self, obs):
        obs = np.asarray(obs)
        if obs.shape != self._obs_shape or obs.dtype.kind not in "fiub":
            raise BadObservation(f"returned an observation of shape {obs.shape} and dtype "
                                 f"{obs.dtype}")
        return obs

    def close(self):
        envs.close(self.env)  # (a pre-0.26 env may have no close)

    def snapshot(self):
        """``(pickle, generator)``: the env pickled with its state (None when it does not
        pickle and load back) and its generator's state (None when it has none)."""
        return envs.dumps_if_loadable(self.env), envs.generator_state(self.env)

    def load_snapshot(self, snapshots: List[tuple]) -> bool:
        """Takes its own entry of ``snapshots`` (one per sub-env): the pickled env when there
        is one and it loads, else its generator's state alone. Returns whether it was whole."""
        data, generator = snapshots[self.index]
        loaded = None
        if data is not None:
            try:
                loaded = envs.loads(data)
            except Exception:  # unpickling runs arbitrary user code; any failure: no pickle
                loaded = None
        if loaded is not None:
            envs.close(self.env)
            self.env = loaded
            return True
        if generator:
            envs.set_generator_state(self.env, generator)
        return False


def _sub_env(env: Any, seed: int, env_kwargs: dict, index: int, in_worker: bool) -> SubEnv:
    """Sub-env ``index``: ``env`` (an id or an object) made, checked and seeded."""
    return SubEnv(envs.make_env(env, seed, env_kwargs), index, in_worker)


def make_train_envs(config, seeds, env: Any = None,
                    checkpoint_dir: Optional[str] = None) -> gym.vector.VectorEnv:
    """The ``config.n_envs`` training envs as one vector env (see the module's docstring).

    From ``config.env_id``, or from ``env`` (an object: sub-env 0 is it, the others deep
    copies), or, for a run that was given an object and is resumed without it, from the
    checkpoint's pickles. Sub-env ``i`` is seeded with ``seeds.sub("env", i)``."""
    n, is_async = config.n_envs, config.vector_mode == "async"
    if env is None and config.env_id.startswith("object:"):
        sources = [_pickled_object(config, checkpoint_dir, part_name(i)) for i in range(n)]
    elif env is None:
        sources = [config.env_id] * n
    else:
        sources = [env] + [_copy(env, "for the other training envs") for _ in range(1, n)]
    kwargs = config.env_kwargs if env is None and not config.env_id.startswith("object:") else None
    if is_async:
        _check_picklable(sources[0], config.env_id)
    factories = [functools.partial(_sub_env, source, seeds.sub("env", i), kwargs, i, is_async)
                 for i, source in enumerate(sources)]
    vector_class = getattr(gym.vector, _config.VECTOR_MODES[config.vector_mode])
    mode = gym.vector.AutoresetMode.SAME_STEP
    if not is_async:
        return vector_class(factories, autoreset_mode=mode)
    try:
        return vector_class(factories, autoreset_mode=mode, worker=_quiet_worker)
    except (EOFError, OSError) as exc:  # a worker that could not make its env exited
        raise EnvError(f"the async env workers could not make {config.env_id} "
                       f"({type(exc).__name__}); vector_mode=sync shows the env's own error") from None


def _quiet_worker(*args, **kwargs) -> None:
    """Gymnasium's async worker, which leaves quietly once the main process is gone (SIGKILL):
    its own error path then writes to the dead pipe, a ``BrokenPipeError`` traceback each."""
    from gymnasium.vector.async_vector_env import _async_worker
    try:
        _async_worker(*args, **kwargs)
    except (BrokenPipeError, ConnectionError, EOFError):
        pass


def make_eval_env(config, seeds, env: Any = None, eval_env: Any = None,
                  checkpoint_dir: Optional[str] = None) -> gym.Env:
    """The evaluation env: from ``config.env_id``; ``eval_env``, or a deep copy of ``env``
    (an object); or, for a run that was given objects and is evaluated or resumed without
    them, from the checkpoint's pickle."""
    if env is None and eval_env is None and config.env_id.startswith("object:"):
        eval_env = _pickled_object(config, checkpoint_dir, EVAL_ENV)
    elif env is None and eval_env is None:
        return envs.make_env(config.env_id, seeds.eval_env, config.env_kwargs)
    elif eval_env is None:
        eval_env = _copy(env, "for evaluation")
    return envs.make_env(eval_env, seeds.eval_env)


def _pickled_object(config, checkpoint_dir: Optional[str], name: str):
    loaded = (load_pickled(os.path.join(checkpoint_dir, f"{name}.pkl"), config.env_id)
              if checkpoint_dir else None)
    if loaded is None:
        raise EnvError(f"this run trained on a Python env object ({config.env_id}) that is not "
                       f"in its checkpoint; pass the env object again (train(..., env=...))")
    return loaded


def _copy(env: Any, what: str):
    try:
        return copy.deepcopy(env)
    except Exception as exc:  # any failure of a user object's copy
        hint = "pass eval_env" if what == "for evaluation" else "pass an env id instead, or n_envs=1"
        raise EnvError(f"cannot copy the env object {what} ({first_line(exc)}); {hint}") from None


def _check_picklable(source: Any, label: str) -> None:
    """An ``async`` sub-env goes to its worker process pickled (by cloudpickle, as
    ``AsyncVectorEnv`` sends it): one that cannot be is one line with the fix."""
    import cloudpickle  # (Gymnasium's own dependency, for this same purpose)
    try:
        cloudpickle.dumps(source)
    except Exception as exc:  # pickling runs arbitrary user code
        raise EnvError(f"vector_mode=async sends each env to its own process, and the env "
                       f"{label} cannot be pickled ({type(exc).__name__}: {first_line(exc)}); "
                       f"register it and give its id (package.module:ID), or use "
                       f"vector_mode=sync") from None


class EnvSlot:
    """The evaluation env as a checkpoint part (see ``checkpoint.Bundle``).

    It is saved whole, pickled with its mid-episode state (``eval_env.pkl``), when it pickles
    and loads back; its generator's state is saved always (``eval_env.rng.json``). ``restore``
    replaces ``env`` with the pickled one, or, for an env saved without a pickle, sets the
    generator alone.
    """

    def __init__(self, env: gym.Env, label: str, name: str = EVAL_ENV):
        self.env, self.label, self.name = env, label, name
        self._warned = False

    def save(self, directory: str) -> None:
        data = envs.dumps_if_loadable(self.env)
        self._warned = _write(directory, self.name, data, envs.generator_state(self.env),
                              self.label, self._warned)

    def restore(self, directory: str) -> None:
        loaded = load_pickled(os.path.join(directory, f"{self.name}.pkl"))
        if loaded is not None:
            envs.close(self.env)
            self.env = loaded
            return
        generator = _read_generator(directory, self.name)
        if generator:
            envs.set_generator_state(self.env, generator)

    def close(self) -> None:
        envs.close(self.env)


class VectorSlot:
    """The training vector env as a checkpoint part: each sub-env as ``EnvSlot`` keeps an
    env (``env.pkl``, ``env1.pkl``, ... and their ``.rng.json``), read and written where the
    sub-env lives. After ``restore``, ``whole`` says whether every sub-env came back whole
    (else the run goes on from new episodes)."""

    def __init__(self, env: gym.vector.VectorEnv, label: str):
        self.env, self.label = env, label
        self.whole = True
        self.broken = False  # set when an async worker died: close without asking the workers
        self._warned = False

    def save(self, directory: str) -> None:
        for i, (data, generator) in enumerate(self.env.call("snapshot")):
            self._warned = _write(directory, part_name(i), data, generator, self.label,
                                  self._warned)

    def restore(self, directory: str) -> None:
        snapshots = []
        for i in range(self.env.num_envs):
            path = os.path.join(directory, f"{part_name(i)}.pkl")
            data = None
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data = f.read()
            snapshots.append((data, _read_generator(directory, part_name(i))))
        self.whole = all(self.env.call("load_snapshot", snapshots))

    def close(self) -> None:
        if not self.broken:
            self.env.close()
            return
        try:
            with gymnasium_quiet():  # (its warning that a step is still pending)
                self.env.close(terminate=True)
        except (EOFError, OSError):  # it waits for the dead worker's reply first
            for process in self.env.processes:
                process.terminate()
            self.env.closed = True


@contextlib.contextmanager
def gymnasium_quiet():
    """Pitfall: ``AsyncVectorEnv`` logs a worker's exception with its whole traceback before
    raising it in this process, where the run reports it as one line instead."""
    logger = gym.logger
    level, logger.min_level = logger.min_level, logger.ERROR + 1
    try:
        yield
    finally:
        logger.min_level = level


def _write(directory: str, name: str, data: Optional[bytes], generator, label: str,
           warned: bool) -> bool:
    """Writes one env's pickle (if it has one) and generator state; returns whether the
    does-not-pickle warning has been given."""
    if data is None:
        if not warned:
            print(f"warning: {label} does not pickle and load back; a resume restores its "
                  f"generator and starts a new episode", file=sys.stderr)
        warned = True
    else:
        with open(os.path.join(directory, f"{name}.pkl"), "wb") as f:
            f.write(data)
    checkpoint.dump_state(os.path.join(directory, f"{name}.rng.json"), {"generator": generator})
    return warned


def _read_generator(directory: str, name: str):
    return checkpoint.load_state(os.path.join(directory, f"{name}.rng.json"))["generator"]


def load_pickled(path: str, label: str = None):
    """The env pickled at ``path``, or None when it is missing or does not load. With
    ``label``, a pickle whose env class lives in a module that cannot be imported here is
    one ``EnvError`` line naming that module (the env is in the checkpoint; its code is not
    on this ``sys.path``)."""
    try:
        with open(path, "rb") as f:
            return envs.loads(f.read())
    except ModuleNotFoundError as exc:
        if label is None:
            return None
        raise EnvError(f"the checkpoint holds {label}, whose module {exc.name!r} cannot be "
                       f"imported here: put its directory on PYTHONPATH") from None
    except Exception:  # unpickling runs arbitrary user code; any failure means "no pickle"
        return None
