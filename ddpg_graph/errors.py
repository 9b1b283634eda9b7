"""The one exception type that means "the user asked for something we cannot do"."""


class UserError(Exception):
    """Bad input from the user: unknown env, invalid hyperparameter, missing checkpoint...

    The CLI prints its message as a single line on stderr and exits with status 2.
    """


class ConfigError(UserError):
    """A setting that cannot work: an invalid hyperparameter, a model factory that does not load."""
