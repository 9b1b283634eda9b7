"""Callbacks: how code outside the package hooks into a training run without patching it.

A callback is an object with any of the methods of ``Callback`` (a subclass, or any object
with the same method names). ``Trainer(..., callbacks=[...])`` and
``dg.train(config, callbacks=[...])`` call them at four events of the loop:

==================================  ===============================================================
event                               when, and with what
==================================  ===============================================================
``on_step(trainer)``                after each vector step (each of the ``n_envs`` envs stepped
                                    once; ``trainer.step`` counts env steps, all envs together)
``on_update(trainer, stats)``       after each training ``session.run``: ``stats`` holds
                                    ``graph.STATS`` (actor_loss, td_loss, q_mean, q_max; averaged
                                    over the K updates of ``gradient_steps``), ``updates`` (K) and
                                    ``seconds`` (the wall time of that ``session.run``, which also
                                    chose the action)
``on_episode_end(trainer, row)``    after each episode's row is written (``history.csv`` columns)
``on_evaluation(trainer, value)``   after each noise-free evaluation: its mean return
==================================  ===============================================================

A method that returns ``False`` (not merely a falsy None) stops the run cleanly at the end
of the current step: the loop ends, a checkpoint is saved and the history is complete, so
``--resume`` (or ``train(..., resume=True)``) continues exactly as if it had not stopped.
``trainer.stopped_by`` then names the callback. Callbacks should only read the trainer.
"""
from __future__ import annotations

from .errors import ConfigError

EVENTS = ("on_step", "on_update", "on_episode_end", "on_evaluation")


class Callback:
    """Does nothing at every event; override the ones you need (return False to stop)."""

    def on_step(self, trainer):
        return None

    def on_update(self, trainer, stats):
        return None

    def on_episode_end(self, trainer, row):
        return None

    def on_evaluation(self, trainer, value):
        return None


class StopAtStep(Callback):
    """Stops the run once ``trainer.step`` reaches ``step`` (e.g. a time slice of a longer run)."""

    def __init__(self, step: int):
        self.step = int(step)

    def on_step(self, trainer):
        return trainer.step < self.step


class Callbacks:
    """The trainer's list of callbacks, called in order at each event; records which one
    asked to stop."""

    def __init__(self, callbacks=()):
        if any(callable(getattr(callbacks, event, None)) for event in EVENTS):
            raise ConfigError(f"callbacks takes a list of callbacks; got one "
                              f"{type(callbacks).__name__}: pass [{type(callbacks).__name__}(...)]")
        try:
            self.callbacks = list(callbacks or ())
        except TypeError:
            raise ConfigError(f"callbacks takes a list of callbacks, got "
                              f"{type(callbacks).__name__}") from None
        for callback in self.callbacks:
            if not any(callable(getattr(callback, event, None)) for event in EVENTS):
                raise ConfigError(f"{type(callback).__name__} has none of the callback methods "
                                  f"{', '.join(EVENTS)}")
        self.stopped_by = None

    def __bool__(self) -> bool:
        return bool(self.callbacks)

    def fire(self, event: str, trainer, *args) -> None:
        for callback in self.callbacks:
            method = getattr(callback, event, None)
            if method is not None and method(trainer, *args) is False and self.stopped_by is None:
                self.stopped_by = f"{type(callback).__name__}.{event}"
