"""Every way an environment comes in, as a seeded Gymnasium env checked for DDPG.

The env knows nothing of TensorFlow. ``make_env`` takes

- a Gymnasium id (``"Pendulum-v1"``; ``"Pendulum-v0"`` is the tutorials' old name);
- ``"gym:ID"`` or ``"gym:package.module:ID"``: ID from the old ``gym`` package's registry (0.26),
  its env checker off, ``package.module`` imported first to register it; a pre-0.26 env
  registered there is taken out of gym 0.26's wrappers, converted, and given the registry's
  time limit as Gymnasium's (a truncation, so it bootstraps);
- ``"package.module:ID"``: ``package.module`` is imported first, to register ID with
  Gymnasium's registry or the old package's (Gymnasium's is looked in first);
- an env object: a ``gymnasium.Env``, a ``gym`` 0.26 env, or a pre-0.26 env (``reset() ->
  obs``, ``step() -> (obs, reward, done, info)``), with the old package's spaces or Gymnasium's.

shimmy (the maintained converter) turns old-package and pre-0.26 envs into Gymnasium envs; a
pre-0.26 ``done`` with ``info["TimeLimit.truncated"]`` becomes ``truncated``, so time limits
bootstrap. What shimmy lacks is here: pre-0.26 envs whose spaces are already Gymnasium's, and
pickling its wrappers (``dumps`` / ``loads``), so that checkpoints can hold any of these envs.
Bad input raises ``EnvError``: one line, no traceback.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import io
import pickle
import sys
from typing import Any, Optional

import gymnasium as gym
import numpy as np

from .errors import EnvError, first_line

# Names the tutorials used for environments that Gymnasium has since renamed.
# Pendulum-v0 had the dynamics of Pendulum-v1 (v1 only fixed the rendering) and 200 steps.
LEGACY_IDS = {
    "Pendulum-v0": ("Pendulum-v1", 200),
}
OLD_GYM_PREFIX = "gym:"
INSTALL_GYM = "pip install gym==0.26.2 shimmy==2.0.1 (or: pip install -e .[legacy])"


def make_env(env: Any, seed: Optional[int] = None, env_kwargs: Optional[dict] = None,
             render_mode: Optional[str] = None) -> gym.Env:
    """The Gymnasium env that ``env`` (an id or an object, see above) names, checked for DDPG,
    its first ``reset`` and its action space's sampler seeded with ``seed``.

    ``env_kwargs`` go to the env's constructor (ids only); ``render_mode`` too.
    """
    if isinstance(env, str):
        name, raw = env, _from_id(env, dict(env_kwargs or {}), render_mode)
    else:
        if env_kwargs:
            raise EnvError("env_kwargs apply to an env id, not to an env object")
        name, raw = describe(env), env
    env = to_gymnasium(raw, name)
    check_spaces(env, name)
    _check_step_api(env, name, seed)
    env.action_space.seed(None if seed is None else int(seed))
    return env


def describe(env: Any) -> str:
    """A name for an env object, ``object:`` and its spec id, or its class when it has none."""
    spec = getattr(env, "spec", None)
    return f"object:{getattr(spec, 'id', None) or type(env).__name__}"


def _from_id(env_id: str, kwargs: dict, render_mode: Optional[str]) -> Any:
    if render_mode is not None:
        kwargs["render_mode"] = render_mode
    if env_id.startswith(OLD_GYM_PREFIX):
        return _from_old_gym(env_id, env_id[len(OLD_GYM_PREFIX):], kwargs)
    module, sep, gym_id = env_id.rpartition(":")
    if sep:
        _import_registering(module, gym_id)
        if gym_id not in gym.registry and gym_id not in LEGACY_IDS and _in_old_registry(gym_id):
            print(f"note: {gym_id} is in the old gym package's registry, not Gymnasium's; "
                  f"made as gym:{gym_id}", file=sys.stderr)
            return _from_old_gym(env_id, gym_id, kwargs)
    gym_id, max_steps = LEGACY_IDS.get(gym_id, (gym_id, None))
    _refuse_old_class_in_gymnasium(env_id, gym_id)
    if max_steps is not None:
        kwargs.setdefault("max_episode_steps", max_steps)
    with _making(env_id, gym.error.Error):
        return gym.make(gym_id, **kwargs)


def _import_registering(module: str, gym_id: str) -> None:
    """Imports the user's ``module``, which registers ``gym_id``."""
    if not module or not gym_id:
        raise EnvError(f"an env given as package.module:ID needs both parts, got "
                       f"{module!r}:{gym_id!r}")
    try:
        with _quiet():  # (e.g. shimmy, which imports gym 0.26 and its banner)
            importlib.import_module(module)
    except ImportError as exc:
        raise EnvError(f"cannot import {module!r} to register {gym_id!r}: {exc} (is its "
                       "directory on PYTHONPATH?)") from None


def _refuse_old_class_in_gymnasium(env_id: str, gym_id: str) -> None:
    """An old ``gym.Env`` class registered with Gymnasium's registry fails deep in Gymnasium's
    checks; one line says what to do instead."""
    spec = gym.registry.get(gym_id)
    if spec is None or "gym" not in sys.modules or not isinstance(spec.entry_point, (str, type)):
        return
    try:
        creator = gym.envs.registration.load_env_creator(spec.entry_point) \
            if isinstance(spec.entry_point, str) else spec.entry_point
    except Exception:  # not loadable: gym.make reports it
        return
    if inspect.isclass(creator) and issubclass(creator, sys.modules["gym"].Env):
        raise EnvError(f"{env_id} is registered with Gymnasium's registry, but "
                       f"{creator.__name__} is an old gym.Env: register it with the old package "
                       f"(gym.envs.registration.register) and use gym:{env_id}, or pass the "
                       f"env object (train(config, env={creator.__name__}()))")


def _in_old_registry(gym_id: str) -> bool:
    """Whether the old gym package is installed and its registry holds ``gym_id``."""
    try:
        return gym_id in _import_old_gym(gym_id).envs.registry
    except EnvError:  # the old package is not installed
        return False


def _from_old_gym(env_id: str, rest: str, kwargs: dict) -> Any:
    """``rest`` (``ID`` or ``package.module:ID``) made with the old gym package.

    Pitfall: gym 0.26's ``make`` wraps every env in its new-API wrappers (``OrderEnforcing``,
    ``TimeLimit``), a pre-0.26 one too, whose ``reset`` then gets a ``seed`` it does not take.
    For such an env the raw env is taken out of them, converted like any pre-0.26 object
    (shimmy), and the registry's ``max_episode_steps`` becomes Gymnasium's ``TimeLimit``."""
    old_gym = _import_old_gym(env_id)
    module, sep, gym_id = rest.rpartition(":")
    if sep:
        _import_registering(module, gym_id)
    with _making(env_id, old_gym.error.Error), _quiet():
        spec = old_gym.spec(gym_id)
        entry = spec.entry_point
        creator = old_gym.envs.registration.load(entry) if isinstance(entry, str) else entry
        raw = creator(**{**spec.kwargs, **kwargs})
    print(f"note: {env_id} comes from the old gym package {old_gym.__version__}, "
          f"its env checker off", file=sys.stderr)
    if _reset_takes_seed(raw):  # a gym 0.26 env: made again with its wrappers; shimmy converts
        close(raw)
        with _making(env_id, old_gym.error.Error), _quiet():
            return old_gym.make(gym_id, disable_env_checker=True, **kwargs)
    return _with_time_limit(to_gymnasium(raw, env_id), spec.max_episode_steps)


def _with_time_limit(env: gym.Env, steps: Optional[int]) -> gym.Env:
    """``env`` with Gymnasium's ``TimeLimit`` of ``steps`` (an old registry's limit), if any."""
    return gym.wrappers.TimeLimit(env, steps) if steps else env


@contextlib.contextmanager
def _making(env_id: str, registry_error):
    """Errors while making ``env_id`` (``registry_error``: its registry's own, Gymnasium's or
    the old package's) as one ``EnvError`` line."""
    try:
        yield
    except registry_error as exc:
        raise EnvError(f"cannot make environment {env_id!r}: {first_line(exc)}") from None
    except ImportError as exc:  # the registry's own import of the entry point's module
        raise EnvError(f"cannot make environment {env_id!r}: {first_line(exc)}") from None
    except TypeError as exc:
        raise EnvError(f"bad arguments for environment {env_id!r}: {first_line(exc)}") from None
    except Exception as exc:  # the env's own constructor failed
        raise EnvError(f"cannot make environment {env_id!r}: {type(exc).__name__}: "
                       f"{first_line(exc)}") from None


def _import_old_gym(what: str):
    try:
        with _quiet():  # (the old gym package: optional, and loud on import)
            import gym as old_gym
    except ImportError:
        raise EnvError(f"{what} needs the old gym package: {INSTALL_GYM}") from None
    return old_gym


def _shimmy_gym():
    """shimmy's gym converters (importing them imports the old gym package when present)."""
    with _quiet():  # (optional, like the old gym package it imports)
        from shimmy import openai_gym_compatibility
    return openai_gym_compatibility


@contextlib.contextmanager
def _quiet():
    """Pitfall: gym 0.26 prints a four-line banner to stderr when imported."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        yield


def to_gymnasium(env: Any, name: str = "environment") -> gym.Env:
    """``env`` as a Gymnasium env: as it is, or converted by shimmy (``gym`` 0.26 API when its
    ``reset`` takes a ``seed``, else the pre-0.26 API)."""
    if isinstance(env, gym.Env):
        return env
    inner, steps = _inside_old_wrappers(env)
    if inner is not env and not _reset_takes_seed(inner):  # gym.make of a pre-0.26 env
        return _with_time_limit(to_gymnasium(inner, name), steps)
    if not all(hasattr(env, attr) for attr in ("reset", "step", "action_space", "observation_space")):
        raise EnvError(f"{name} is not an environment: it needs reset, step, action_space and "
                       f"observation_space")
    if _reset_takes_seed(env):
        _import_old_gym(f"{name} (a gym 0.26 env)")
        try:
            return _shimmy_gym().GymV26CompatibilityV0(env=env)
        except (AttributeError, NotImplementedError) as exc:
            raise EnvError(f"cannot convert {name} from the gym 0.26 API: {first_line(exc)}") from None
    if _has_gymnasium_spaces(env):
        return OldApiEnv(env)
    _import_old_gym(f"{name} (a pre-0.26 env with the old package's spaces)")
    try:
        return _shimmy_gym().GymV21CompatibilityV0(env=env)
    except NotImplementedError as exc:
        raise EnvError(f"cannot convert {name}'s spaces: {first_line(exc)}") from None


def _inside_old_wrappers(env: Any):
    """The env inside the old gym package's wrappers, and the time limit they held (None)."""
    steps = getattr(getattr(env, "spec", None), "max_episode_steps", None)
    if "gym" not in sys.modules or not isinstance(env, sys.modules["gym"].Wrapper):
        return env, None
    while isinstance(env, sys.modules["gym"].Wrapper):
        env = env.env
    return env, steps


def _reset_takes_seed(env: Any) -> bool:
    try:
        parameters = inspect.signature(env.reset).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "seed" or p.kind == p.VAR_KEYWORD for p in parameters)


def _has_gymnasium_spaces(env: Any) -> bool:
    return isinstance(env.action_space, gym.Space) and isinstance(env.observation_space, gym.Space)


@functools.lru_cache(maxsize=None)
def _old_api_env_class():
    """shimmy's pre-0.26 converter, taking spaces that are already Gymnasium's: the one thing
    it lacks (its constructor converts the old package's spaces and needs that package).
    Made on first use: importing shimmy's gym module imports the old gym package."""
    class OldApiEnv(_shimmy_gym().GymV21CompatibilityV0):
        def __init__(self, env: Any, render_mode: Optional[str] = None):
            self.gym_env = env
            self.observation_space, self.action_space = env.observation_space, env.action_space
            self.metadata = getattr(env, "metadata", {"render_modes": []})
            self.render_mode = render_mode
            self.reward_range = getattr(env, "reward_range", None)
            self.spec = getattr(env, "spec", None)

    return OldApiEnv


def OldApiEnv(env: Any, render_mode: Optional[str] = None) -> gym.Env:  # noqa: N802
    """A pre-0.26 env with Gymnasium's spaces, converted to the Gymnasium API."""
    return _old_api_env_class()(env, render_mode)


def _check_step_api(env: gym.Env, name: str, seed: Optional[int]) -> None:
    """One probe step from a seeded reset, then the same seeded reset again: an env whose
    ``reset`` or ``step`` fails, or returns other than the Gymnasium API, is refused here."""
    seed = None if seed is None else int(seed)
    space = env.action_space
    try:
        env.reset(seed=seed)
        result = env.step(((space.low + space.high) / 2).astype(space.dtype))
        reset = env.reset(seed=seed)
    except ValueError as exc:  # shimmy unpacking a step of the wrong length
        raise EnvError(f"{name} does not follow the gym API: {first_line(exc)} (a Gymnasium "
                       f"or gym 0.26 step returns 5 values, a pre-0.26 step 4)") from None
    except Exception as exc:  # the env's own code failed
        raise EnvError(f"{name} failed on its first reset or step: {type(exc).__name__}: "
                       f"{first_line(exc)}") from None
    if not isinstance(result, tuple) or len(result) != 5:
        raise EnvError(f"{name} does not follow the gym API: its step returns {_shape_of(result)} "
                       f"(a Gymnasium or gym 0.26 step returns 5, a pre-0.26 step 4)")
    if not isinstance(reset, tuple) or len(reset) != 2:
        raise EnvError(f"{name} does not follow the gym API: its reset returns {_shape_of(reset)}")


def _shape_of(value: Any) -> str:
    return f"{len(value)} values" if isinstance(value, tuple) else type(value).__name__


def check_spaces(env: gym.Env, name: str) -> None:
    space = env.action_space
    if not isinstance(space, gym.spaces.Box):
        raise EnvError(f"{name} has a {type(space).__name__} action space; DDPG needs a continuous Box")
    if len(space.shape) != 1:
        raise EnvError(f"{name} has action shape {space.shape}; DDPG needs a 1-D Box")
    if not (np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))):
        raise EnvError(f"{name} has an unbounded action space; DDPG needs finite bounds")
    obs = env.observation_space
    if not isinstance(obs, gym.spaces.Box) or len(obs.shape) != 1:
        raise EnvError(f"{name} has observation space {obs}; this DDPG needs a 1-D Box")


# -- pickling (checkpoints) ---------------------------------------------------------------
def dumps(env: gym.Env) -> bytes:
    """``env`` pickled with its state (see ``_EnvPickler``)."""
    buffer = io.BytesIO()
    _EnvPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(env)
    return buffer.getvalue()


class _EnvPickler(pickle.Pickler):
    """Pickles an env chain as it is now, where two kinds of object would not:

    - ``EzPickle`` envs (Gymnasium's MuJoCo and Box2D envs, among others) pickle as their
      constructor arguments alone, so loading builds a fresh simulation with a fresh
      generator. They are pickled here as their whole ``__dict__`` (for MuJoCo: the
      ``MjData`` with positions, velocities, warm-start and time, and ``np_random``); one
      whose ``__dict__`` does not pickle (Box2D's worlds) makes ``dumps`` fail, which the
      caller reports.
    - shimmy's converters pickle as "convert the env inside again" (pickled as they are,
      their ``__getattr__`` recurses forever on loading).
    """

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self._converters = tuple(_shimmy_classes())

    def reducer_override(self, obj):
        if "_ezpickle_args" in getattr(obj, "__dict__", ()):
            return _with_dict, (type(obj), dict(obj.__dict__))
        if self._converters and isinstance(obj, self._converters):
            return _reduce_converter(obj)
        return NotImplemented


def _with_dict(cls: type, state: dict):
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


def loads(data: bytes) -> gym.Env:
    return pickle.loads(data)


def dumps_if_loadable(env: gym.Env) -> Optional[bytes]:
    """``env`` pickled, if it pickles and loads back; else None."""
    try:
        data = dumps(env)
        loads(data)
    except Exception:  # pickling runs arbitrary env code; any failure means "no pickle"
        return None
    return data


def _shimmy_classes():
    if "shimmy.openai_gym_compatibility" not in sys.modules:
        return []  # no converter was ever made
    module = sys.modules["shimmy.openai_gym_compatibility"]
    return [_old_api_env_class(), module.GymV21CompatibilityV0, module.GymV26CompatibilityV0]


def _reduce_converter(converter):
    kind = "OldApiEnv" if isinstance(converter, _old_api_env_class()) else type(converter).__name__
    return _convert_again, (kind, converter.gym_env,
                            getattr(converter, "render_mode", None))


def _convert_again(kind: str, env: Any, render_mode: Optional[str]):
    if kind == "OldApiEnv":
        return OldApiEnv(env, render_mode)
    shimmy_gym = _shimmy_gym()
    if kind == "GymV26CompatibilityV0":
        return shimmy_gym.GymV26CompatibilityV0(env=env)
    return shimmy_gym.GymV21CompatibilityV0(env=env, render_mode=render_mode)


def generator_state(env: gym.Env) -> Optional[dict]:
    """The state of the generator behind ``env``'s randomness (the innermost env's
    ``np_random``), or None when it has none that can be read back."""
    rng = _innermost_rng(env)
    if isinstance(rng, np.random.Generator):
        return {"kind": "generator", "state": rng.bit_generator.state}
    if isinstance(rng, np.random.RandomState):
        return {"kind": "random_state", "state": rng.get_state()}
    return None


def set_generator_state(env: gym.Env, state: dict) -> None:
    rng = _innermost_rng(env)
    if state["kind"] == "generator":
        rng.bit_generator.state = state["state"]
    else:
        rng.set_state(state["state"])


def _innermost_rng(env: Any):
    inner = env.unwrapped
    while isinstance(inner, tuple(_shimmy_classes())):
        inner = inner.gym_env
        inner = getattr(inner, "unwrapped", inner)
    return getattr(inner, "np_random", None)



def close(env: gym.Env) -> None:
    """Closes ``env``; a pre-0.26 env without ``close`` has nothing to close (shimmy calls
    it regardless)."""
    try:
        env.close()
    except AttributeError:
        pass
