"""A run's two envs, for training and for evaluation: made from its config or from the
objects given, and kept in its checkpoints (``EnvSlot``)."""
from __future__ import annotations

import copy
import os
import sys
from typing import Optional

from . import checkpoint, envs
from .errors import EnvError

ENV_NAMES = ("env", "eval_env")


class EnvSlot:
    """One env of a run, as a checkpoint part (see ``checkpoint.Bundle``).

    It is saved whole, pickled with its mid-episode state (``<name>.pkl``), when it pickles
    and loads back; its generator's state is saved always (``<name>.rng.json``). ``restore``
    replaces ``env`` with the pickled one, or, for an env saved without a pickle, sets the
    generator alone (``whole`` then says False: the run goes on from a new episode).
    """

    def __init__(self, env, name: str, label: str):
        self.env, self.name, self.label = env, name, label
        self.whole = True
        self._warned = False

    def save(self, directory: str) -> None:
        data = envs.dumps_if_loadable(self.env)
        if data is None:
            if not self._warned:
                self._warned = True
                print(f"warning: {self.label} does not pickle and load back; a resume restores "
                      f"its generator and starts a new episode", file=sys.stderr)
        else:
            with open(os.path.join(directory, f"{self.name}.pkl"), "wb") as f:
                f.write(data)
        checkpoint.dump_state(os.path.join(directory, f"{self.name}.rng.json"),
                              {"generator": envs.generator_state(self.env)})

    def restore(self, directory: str) -> None:
        loaded = load_pickled(os.path.join(directory, f"{self.name}.pkl"))
        self.whole = loaded is not None
        if self.whole:
            envs.close(self.env)
            self.env = loaded
            return
        state = checkpoint.load_state(os.path.join(directory, f"{self.name}.rng.json"))
        if state["generator"]:
            envs.set_generator_state(self.env, state["generator"])

    def close(self) -> None:
        envs.close(self.env)


def make_run_envs(config, seeds, env=None, eval_env=None, checkpoint_dir: Optional[str] = None):
    """The training and evaluation envs: from ``config.env_id``, or from the objects given
    (the evaluation env defaults to a deep copy), or, for a run that was given objects and is
    resumed or evaluated without them, from the checkpoint's pickles."""
    if env is None and config.env_id.startswith("object:"):
        pickled = [load_pickled(os.path.join(checkpoint_dir, f"{name}.pkl"), config.env_id)
                   if checkpoint_dir else None for name in ENV_NAMES]
        if None in pickled:
            raise EnvError(f"this run trained on a Python env object ({config.env_id}) that is not "
                           f"in its checkpoint; pass the env object again (train(..., env=...))")
        env, eval_env = pickled
    if env is None:
        return (envs.make_env(config.env_id, seeds.env, config.env_kwargs),
                envs.make_env(config.env_id, seeds.eval_env, config.env_kwargs))
    if eval_env is None:
        try:
            eval_env = copy.deepcopy(env)
        except Exception as exc:  # any failure of a user object's copy
            raise EnvError(f"cannot copy the env object for evaluation ({exc}); pass eval_env") from None
    return envs.make_env(env, seeds.env), envs.make_env(eval_env, seeds.eval_env)


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
