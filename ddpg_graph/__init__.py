"""ddpg_graph: DDPG as static TensorFlow graphs (tf.compat.v1), on Gymnasium.

The public API, ``import ddpg_graph as dg``:

- ``dg.Config`` (``dg.Config.from_preset("emami", total_steps=...)``) and ``dg.PRESETS``;
- ``dg.make_env(env, seed=None, env_kwargs=None)``: an id, ``"gym:ID"``,
  ``"package.module:ID"`` or an env object (Gymnasium, gym 0.26, pre-0.26) as a Gymnasium env;
- ``dg.train(config, env=None, run_dir=None, resume=False, callbacks=())`` -> the
  ``dg.Trainer`` (``.agent``, ``.history``); without ``run_dir`` nothing is written;
- ``dg.Callback``: hooks at each env step, update, episode end and evaluation (return False
  to stop the run cleanly); ``dg.StopAtStep(n)``;
- ``dg.evaluate(agent, env, episodes=10)`` -> noise-free returns;
- ``dg.load_run(path)`` -> ``(config, agent, eval_env)`` from a run or checkpoint directory;
- ``dg.export(agent, out_dir, format="saved_model" | "graphdef")``: the actor as a SavedModel
  or a frozen GraphDef;
- ``dg.Agent``: the graph and its session, numpy in and out;
- the errors: ``dg.UserError`` (and its kinds ``ConfigError``, ``EnvError``,
  ``CheckpointError``, ``RunDirNotEmpty``), ``dg.RunError``, ``dg.Interrupted``.

Names load on first use, so ``import ddpg_graph`` imports no TensorFlow and changes no global
state. When the package first imports TensorFlow it hides TensorFlow's C++ start-up notices
(and sets ``TF_CPP_MIN_LOG_LEVEL=3`` unless it is set); set ``DDPG_GRAPH_TF_LOGS=1`` to see them.
"""
__version__ = "0.1.0"

import importlib  # noqa: E402
import os  # noqa: E402

from .entry import quiet_tensorflow  # noqa: E402  (light: no TensorFlow until it is called)

_EXPORTS = {
    "Config": "config", "PRESETS": "config", "make_env": "envs", "train": "api",
    "evaluate": "api", "load_run": "api", "export": "policy_export", "Agent": "agent",
    "Trainer": "runner", "UserError": "errors", "ConfigError": "errors", "EnvError": "errors",
    "CheckpointError": "errors", "RunDirNotEmpty": "errors", "RunError": "errors",
    "Interrupted": "errors", "Callback": "callbacks", "StopAtStep": "callbacks",
}
__all__ = sorted(_EXPORTS)
_USE_TENSORFLOW = {"api", "policy_export", "agent", "runner"}


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ddpg_graph' has no attribute {name!r}")
    if _EXPORTS[name] in _USE_TENSORFLOW and os.environ.get("DDPG_GRAPH_TF_LOGS") != "1":
        quiet_tensorflow()
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
