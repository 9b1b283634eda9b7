"""The package's exceptions: what went wrong, in words that fit library use.

Input errors (``UserError`` and its kinds) mean "you asked for something that cannot work";
``RunError`` means a run stopped (its message names the intact checkpoint); ``Interrupted``
means a run was stopped on purpose and saved. The CLI maps them to exit statuses 2, 1 and 130
and adds its flag hints; nothing else in the package prints them.
"""


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message, or its type's name when it has none: what a
    one-line error keeps of a library's multi-line exception."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class UserError(Exception):
    """Bad input from the user: unknown env, invalid hyperparameter, missing checkpoint..."""


class ConfigError(UserError):
    """A setting that cannot work: an invalid hyperparameter, a model factory that does not load."""


class EnvError(UserError):
    """An environment that cannot be made or does not suit DDPG."""


class CheckpointError(UserError):
    """A checkpoint or run directory that is missing, corrupt or does not match the run."""


class RunDirNotEmpty(UserError):
    """A new run was pointed at a directory that already holds a run."""


class RunDirLocked(UserError):
    """Another process is training in the run directory."""


class RunError(Exception):
    """The run cannot go on (divergence, a failed checkpoint write); the message says why
    and which checkpoint is intact."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM: the run stopped at a consistent point and saved a checkpoint.
    ``signum`` is the signal that stopped it."""

    def __init__(self, message: str, signum: int = 2, run_dir: str = None):
        super().__init__(message)
        self.signum, self.run_dir = signum, run_dir
