"""``Agent``: owns a private ``tf.Graph`` and its ``Session``; numpy in, numpy out."""
from __future__ import annotations

import errno
import os
import sys
from typing import Dict, List, Tuple

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2

from .errors import CheckpointError, first_line
from . import networks
from .graph import STATS, DDPGGraph

tf1 = tf.compat.v1

CHECKPOINT_NAME = "model.ckpt"


def resolve_devices(device: str) -> List[str]:
    """TensorFlow device strings for ``config.device``: "auto" -> [""] (TF's own placement),
    "gpu:0,gpu:1" -> ["/gpu:0", "/gpu:1"] (one per tower, in turn).

    A GPU that TensorFlow cannot see falls back to the CPU with one warning line.
    """
    if device == "auto":
        return [""]
    devices, missing = [], []
    for name in device.lower().split(","):
        kind, _, index = name.strip().partition(":")
        index = index or "0"
        if kind == "gpu" and int(index) >= len(tf.config.list_physical_devices("GPU")):
            missing.append(name.strip())
            devices.append("/cpu:0")
        else:
            devices.append(f"/{kind}:{index}")
    if missing:
        print(f"warning: TensorFlow sees no {', '.join(missing)}; running on the CPU",
              file=sys.stderr)
    return devices


def _stacked(batch) -> bool:
    """Whether ``batch`` holds K stacked batches ([K,B,S] states) rather than one."""
    return batch["s"].ndim == 3


def _rows(obs) -> np.ndarray:
    """``obs`` as rows to act on: one observation [S] becomes [1,S]; [N,S] stays."""
    return np.reshape(obs, (1, -1)) if np.ndim(obs) == 1 else obs


def _like(obs, rows: np.ndarray):
    """Per-row results for ``obs``: row 0 alone (a float for a scalar) for one observation."""
    if np.ndim(obs) != 1:
        return rows
    return rows[0] if rows.ndim > 1 else float(rows[0])


class Agent:
    """A DDPG agent for observations of size ``obs_dim`` and actions in [low, high]."""

    def __init__(self, config, obs_dim: int, action_low, action_high, seed: int = None,
                 actor_factory=None, critic_factory=None, extend_graph=None):
        """``actor_factory`` / ``critic_factory``: ``tf_keras`` model factories overriding
        ``config.actor_model`` / ``config.critic_model``. ``extend_graph``: a hook,
        ``extend_graph(net) -> anything``, called in this agent's graph once ``net`` (the
        ``DDPGGraph``) is built and before the graph is finalised, to add ops of one's own
        (what it returns is ``self.extension``; e.g. the tests' unordered single steps)."""
        self.config = config
        self.obs_dim = int(obs_dim)
        self.action_low = np.asarray(action_low, np.float64)
        self.action_high = np.asarray(action_high, np.float64)
        self.graph = tf.Graph()
        self.graph.seed = int(config.seed if seed is None else seed)
        devices = resolve_devices(config.device)
        with self.graph.as_default(), tf.device(devices[0]):
            self.net = DDPGGraph(self.obs_dim, self.action_low, self.action_high, config,
                                 actor_factory, critic_factory, devices)
            self.extension = extend_graph(self.net) if extend_graph is not None else None
            self._model_vars = {v.op.name: v for v in self.net.actor_vars + self.net.critic_vars
                                + self.net.target_vars}
            self._weight_inputs = {name: tf1.placeholder(v.dtype.base_dtype, v.shape)
                                   for name, v in self._model_vars.items()}
            self._assign_weights = {name: v.assign(self._weight_inputs[name])
                                    for name, v in self._model_vars.items()}
            networks.check_memory(config, tf1.global_variables(), tf1.trainable_variables())
            init = tf1.global_variables_initializer()
            self._saved_vars = tf1.global_variables()
            self._saver = tf1.train.Saver(max_to_keep=None, save_relative_paths=True)
        self.graph.finalize()
        session_config = tf1.ConfigProto(
            intra_op_parallelism_threads=config.intra_op_threads,
            inter_op_parallelism_threads=config.inter_op_threads,
            # its own inter-op pool: TensorFlow's shared one is sized once, by the first session
            # of the process, whatever this config asks (two towers then ran one after another)
            use_per_session_threads=True,
            allow_soft_placement=True)
        session_config.gpu_options.allow_growth = True
        if config.matmul_precision == "bfloat16":  # oneDNN's AMX/AVX512-BF16 matmuls on CPU
            session_config.graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 = (
                rewriter_config_pb2.RewriterConfig.ON)
        self.session = tf1.Session(graph=self.graph, config=session_config)
        self.session.run(init)
        self.session.run(self.net.hard_update)
        n, u = self.net, self.net.update
        # the names of a batch's arrays, in the feeds' order: s, a, r, done, s2 (and TD3's eps)
        self.batch_fields = n.batch.fields()
        batch_feeds = [getattr(n.batch, name) for name in self.batch_fields]
        self._act_fn = self._callable([u.act_mu], [n.obs])
        self._act_q_fn = self._callable([u.act_mu, u.act_q], [n.obs])
        self._train_fn = self._callable(u.stats, batch_feeds, u.train_op)
        self._act_train_fn = self._callable([u.act_mu, u.act_q, *u.stats], [n.obs] + batch_feeds,
                                            u.train_op)
        if config.updates_per_round > 1:  # K updates per run, on K stacked batches
            stacked_feeds = [getattr(n.batches, name) for name in self.batch_fields]
            self._multi_train_fn = self._callable(n.loop_stats, stacked_feeds, n.loop_op)
            self._act_multi_train_fn = self._callable([u.act_mu, u.act_q, *n.loop_stats],
                                                      [n.obs] + stacked_feeds, n.loop_op)

    def _callable(self, fetches, feeds, target=None):
        """``values -> session.run(fetches, dict(zip(feeds, values)))`` (running ``target``
        too), through the C++ ``Session::MakeCallable``: one call into TensorFlow with the
        arrays in order. (``Session.make_callable`` takes that path only when nothing is fed;
        with feeds it is ``session.run`` again, whose Python bookkeeping cost a tenth of a
        ``zoo`` env step; docs/BENCHMARKS.md.)"""
        options = config_pb2.CallableOptions(feed=[t.name for t in feeds],
                                             fetch=[t.name for t in fetches],
                                             target=[] if target is None else [target.name])
        run = self.session._make_callable_from_options(options)  # (tf_keras's backend uses it too)
        dtypes = [t.dtype.as_numpy_dtype for t in feeds]

        def call(*values):
            return run(*[np.asarray(v, d) for v, d in zip(values, dtypes)])
        return call

    # -- acting and learning ----------------------------------------------------------
    def act(self, obs) -> np.ndarray:
        """``mu(obs)`` (no noise): one observation [S] -> action [A], or [N,S] -> [N,A]."""
        action, = self._act_fn(_rows(obs))
        return _like(obs, action)

    def act_with_q(self, obs):
        """``(mu(obs), Q(obs, mu(obs)))``: for one observation an action [A] and a float, for
        [N,S] observations [N,A] and [N]."""
        action, q = self._act_q_fn(_rows(obs))
        return _like(obs, action), _like(obs, q[:, 0])

    def train(self, batch: Dict[str, np.ndarray]) -> Dict[str, float]:
        """One ordered update (critic, actor, targets, or ``config.update_order``) on
        ``batch`` (its arrays named as ``batch_fields``: with ``target_noise``, ``eps`` [B,A]
        the smoothing noise too); returns ``graph.STATS``: the actor loss, the critic's TD loss, and the mean
        and max of Q(s, a) over the batch just before the critic step.

        With ``config.updates_per_round`` K > 1, ``batch`` may also hold K stacked batches
        (``s`` [K,B,S], as ``ReplayBuffer.sample(B, steps=K)`` gives): K updates in one
        ``session.run``, the stats averaged over them (max Q: the maximum)."""
        fn = self._multi_train_fn if _stacked(batch) else self._train_fn
        return dict(zip(STATS, fn(*self._batch_values(batch))))

    def act_and_train(self, obs, batch) -> Tuple[np.ndarray, Dict]:
        """``act_with_q(obs)`` and ``train(batch)`` in ONE ``session.run``: the action(s), and
        the update's stats with ``stats["act_q"]`` = Q(obs, action) (a float for one
        observation, [N] for N). Both come from the weights before the update (before all K of
        them, for stacked batches), from the same forward passes as the update's."""
        fn = self._act_multi_train_fn if _stacked(batch) else self._act_train_fn
        action, act_q, *stats = fn(_rows(obs), *self._batch_values(batch))
        return _like(obs, action), dict(zip(STATS, stats), act_q=_like(obs, act_q[:, 0]))

    def _batch_values(self, batch) -> list:
        """``batch``'s arrays in the feeds' order (``batch_fields``)."""
        try:
            return [batch[name] for name in self.batch_fields]
        except KeyError as exc:
            raise KeyError(f"a batch for this agent needs {', '.join(self.batch_fields)}; "
                           f"it lacks {exc.args[0]}") from None

    # -- weights ----------------------------------------------------------------------
    def get_weights(self) -> Dict[str, np.ndarray]:
        """Online and target network weights by variable name, e.g. ``main/pi/l0/w``."""
        return self.session.run(self._model_vars)

    def set_weights(self, weights: Dict[str, np.ndarray]) -> None:
        unknown = sorted(set(weights) - set(self._model_vars))
        if unknown:
            raise KeyError(f"unknown weight names: {unknown}")
        self.session.run([self._assign_weights[k] for k in weights],
                         {self._weight_inputs[k]: v for k, v in weights.items()})

    # -- checkpoints ------------------------------------------------------------------
    def save(self, directory: str) -> str:
        """Saves every variable (weights, targets, optimiser slots) under ``directory``."""
        os.makedirs(directory, exist_ok=True)
        try:
            with self.graph.as_default():  # the Saver refuses to run while eager is the default
                return self._saver.save(self.session, os.path.join(directory, CHECKPOINT_NAME),
                                        write_meta_graph=False)
        except tf.errors.OpError as exc:  # e.g. ResourceExhaustedError on a full disk
            raise OSError(errno.EIO, f"TensorFlow could not write the weights: "
                                     f"{type(exc).__name__}: {first_line(exc)}") from None

    def check(self, directory: str) -> None:
        """Refuses a checkpoint that lacks one of this graph's variables or holds it with
        another shape (another env or network), changing nothing."""
        prefix = os.path.join(directory, CHECKPOINT_NAME)
        if not os.path.exists(prefix + ".index"):
            raise CheckpointError(f"no checkpoint in {directory}")
        try:
            shapes = tf.train.load_checkpoint(prefix).get_variable_to_shape_map()
        except (tf.errors.OpError, ValueError) as exc:
            raise CheckpointError(f"cannot restore checkpoint {directory}: its weight files are "
                                  f"unreadable ({type(exc).__name__})") from None
        for variable in self._saved_vars:
            name, shape = variable.op.name, variable.shape.as_list()
            if name not in shapes:
                raise CheckpointError(f"checkpoint {directory} has no variable {name}: it was "
                                      f"made with another network")
            if shapes[name] != shape:
                raise CheckpointError(f"checkpoint {directory} holds {name} of shape {shapes[name]}; "
                                      f"this run's is {shape} (another env or network)")

    def restore(self, directory: str) -> None:
        """Loads every variable from ``directory``, after ``check``."""
        self.check(directory)
        prefix = os.path.join(directory, CHECKPOINT_NAME)
        try:
            with self.graph.as_default():
                self._saver.restore(self.session, prefix)
        except (tf.errors.OpError, ValueError) as exc:
            raise CheckpointError(f"cannot restore checkpoint {directory}: its weight files are "
                                  f"corrupt ({type(exc).__name__}: {first_line(exc)})") from None

    def close(self) -> None:
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

