"""The Python API's functions: train, evaluate, load a run (``import ddpg_graph as dg``)."""
from __future__ import annotations

from typing import Any, List, Optional

from . import envs
from .config import Config
from .errors import UserError
from .evaluation import evaluate as _run_episodes, load_checkpoint_agent
from .runner import Trainer
from .seeds import Seeds


def train(config: Config, env: Any = None, eval_env: Any = None, run_dir: Optional[str] = None,
          resume: bool = False, overwrite: bool = False, progress: bool = False,
          callbacks=()) -> Trainer:
    """Trains ``config`` and returns the ``Trainer`` (``.agent``, ``.history``; close it, or
    use it in a ``with`` block, when done).

    ``env``: an env id or object (Gymnasium, gym 0.26, pre-0.26) instead of
    ``config.env_id``; ``eval_env`` likewise (default: a copy of ``env``). ``run_dir``: where
    the run's files go (history.csv, TensorBoard, checkpoints); None keeps the run in memory.
    ``resume``: continue the run in ``run_dir`` from its latest checkpoint.
    ``callbacks``: hooks at the loop's events (``ddpg_graph.callbacks``); one returning False
    stops the run cleanly (``trainer.stopped_by`` says which).
    """
    if isinstance(env, str):
        config, env = config.replace(env_id=env), None
    elif env is not None:
        config = config.replace(env_id=envs.describe(env))
    trainer = Trainer(config, run_dir, progress=progress, overwrite=overwrite, resume=resume,
                      env=env, eval_env=eval_env, callbacks=callbacks)
    try:
        trainer.run()
    except BaseException:
        trainer.close()
        raise
    return trainer


def evaluate(agent, env: Any, episodes: int = 10, seed: Optional[int] = None) -> List[float]:
    """Returns of ``episodes`` noise-free episodes of ``agent`` on ``env`` (an id or an env
    object), its first reset seeded with ``seed`` (default: the agent's evaluation seed)."""
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise UserError(f"episodes must be a positive whole number, got {episodes!r}")
    if seed is None:
        seed = Seeds(agent.config.seed).eval_env
    env = envs.make_env(env, seed)
    obs_dim, action_dim = env.observation_space.shape[0], env.action_space.shape[0]
    if (obs_dim, action_dim) != (agent.obs_dim, len(agent.action_low)):
        envs.close(env)
        raise UserError(f"the env has observations of size {obs_dim} and actions of size "
                        f"{action_dim}; the agent was made for {agent.obs_dim} and "
                        f"{len(agent.action_low)}")
    return _run_episodes(agent, env, episodes)


def load_run(path: str):
    """``(config, agent, eval_env)`` from a run directory (its latest checkpoint) or a
    checkpoint directory; close the agent when done."""
    return load_checkpoint_agent(path)
