"""TensorBoard: per-episode scalars (Emami's ``Reward`` and ``Qmax``, losses) and the graph.

Scalars are written as ``Summary`` protocol buffers straight to the event file: no summary
ops in the graph, nothing fetched per step.
"""
from __future__ import annotations

import contextlib
import errno
import math
from typing import Dict

import tensorflow as tf

tf1 = tf.compat.v1

# history.csv column -> TensorBoard tag (Emami's tutorial made ``Reward`` and ``Qmax`` famous)
TAGS = {"return": "Reward", "q_max": "Qmax", "td_loss": "Loss/td", "actor_loss": "Loss/actor",
        "q_mean": "Q/mean", "eval_return": "Eval/Reward"}
# at each evaluation, beside Eval/Reward: the critic's Q(s0, mu(s0)) at the episodes' first
# states and their discounted returns (means over the episodes): the overestimation TD3 measured
EVAL_Q_S0, EVAL_DISCOUNTED_RETURN = "Eval/Q_s0", "Eval/DiscountedReturn"


class SummaryWriter:
    """Writes scalars for step ``episode`` under ``logdir``; the graph once at creation."""

    def __init__(self, logdir: str, graph: tf.Graph = None, purge_after: int = None):
        """``purge_after``: a resumed run; TensorBoard drops the earlier session's events
        from this step on (they were written after the checkpoint the run resumed from)."""
        self.logdir = logdir
        # The v1 writer refuses to be built in eager mode; a throwaway graph context suffices.
        with tf.Graph().as_default():
            self._writer = tf1.summary.FileWriter(logdir, graph=graph if purge_after is None else None)
        if purge_after is not None:
            self._writer.add_session_log(tf1.SessionLog(status=tf1.SessionLog.START), purge_after)

    def row(self, episode: int, row: Dict[str, float]) -> None:
        """A history row's values under their ``TAGS``, at step ``episode`` (NaN: left out)."""
        self.scalars(episode, {tag: row[key] for key, tag in TAGS.items() if not math.isnan(row[key])})

    def scalars(self, step: int, values: Dict[str, float]) -> None:
        summary = tf1.Summary(value=[tf1.Summary.Value(tag=tag, simple_value=float(v))
                                     for tag, v in values.items()])
        with _as_os_error():
            self._writer.add_summary(summary, int(step))

    def flush(self) -> None:
        with _as_os_error():
            self._writer.flush()

    def close(self) -> None:
        self._writer.close()


@contextlib.contextmanager
def _as_os_error():
    """TensorFlow's write errors (a full disk) as the ``OSError`` every other writer raises."""
    try:
        yield
    except tf.errors.OpError as exc:
        raise OSError(errno.EIO, f"{type(exc).__name__}: {exc.message}") from None
