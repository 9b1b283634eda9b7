"""The actor and the critic as objects: variables made once, one forward pass per call.

An actor maps observations [N,S] to *pre-squash* actions [N,A]; the graph squashes them into
the env's bounds (``squash``). A critic maps observations [N,S] and actions [N,A] to Q [N,1].
Making the variables apart from the forward passes lets the graph call a network wherever
the math needs it (``critic(s, a)``, ``critic(s, mu)``) and lets a ``tf_keras`` model stand in
for the built-in one: both are "a callable with ``variables``".

Two sources:

- the built-in builders for the tutorials' architectures (``BuiltinActor``,
  ``BuiltinCritic``). Initialisation follows the paper: hidden weights and biases ~
  U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the final layer ~ U(-final_init, final_init) so that
  early outputs sit near zero (``final_init`` 0: the final layer like the others, which is
  torch's ``nn.Linear`` default and so Stable-Baselines3's). Every initialiser has its own op seed, derived from the
  variable's name, so the initial weights depend on the graph's seed and the variable, not on
  how many ops were built before it;
- a ``tf_keras`` model factory, named ``"package.module:function"`` in the config
  (``KerasNetwork``). A factory takes ``(obs_dim, action_dim)`` and returns a new model; the
  target network is a second call, with its own variables.

All variables are resource variables, so control dependencies order their reads and writes.
"""
from __future__ import annotations

import contextlib
import importlib
import random
import zlib
from typing import Callable, List, Sequence

import numpy as np
import tensorflow as tf

from .config import ACTIVATIONS
from .errors import ConfigError, first_line

tf1 = tf.compat.v1

def squash(pre_squash: tf.Tensor, action_low: np.ndarray, action_high: np.ndarray) -> tf.Tensor:
    """``centre + half_range * tanh(pre_squash)``: [N,A] actions inside [low, high]."""
    centre, half_range = _centre_and_half_range(action_low, action_high, pre_squash.dtype)
    return centre + half_range * tf.tanh(pre_squash)


def to_unit(actions: tf.Tensor, action_low: np.ndarray, action_high: np.ndarray) -> tf.Tensor:
    """``(actions - centre) / half_range``: [N,A] actions in [low, high] mapped into [-1, 1]."""
    centre, half_range = _centre_and_half_range(action_low, action_high, actions.dtype)
    return (actions - centre) / half_range


def smoothed(actions: tf.Tensor, eps: tf.Tensor, clip: float, action_low: np.ndarray,
             action_high: np.ndarray) -> tf.Tensor:
    """TD3's target policy smoothing: ``clip(actions + half_range * clip(eps, -clip, clip),
    low, high)`` [N,A], for noise ``eps`` [N,A] in half action ranges (SB3 adds it in its
    [-1, 1] units and clips to them: the same)."""
    _, half_range = _centre_and_half_range(action_low, action_high, actions.dtype)
    noise = half_range * tf.clip_by_value(eps, -clip, clip)
    return tf.clip_by_value(actions + noise, tf.constant(action_low, actions.dtype),
                            tf.constant(action_high, actions.dtype))


def _centre_and_half_range(action_low, action_high, dtype):
    return (tf.constant((action_high + action_low) / 2.0, dtype),
            tf.constant((action_high - action_low) / 2.0, dtype))


class Dense:
    """``activation(sum_j inputs[j] @ W_j + b)``: a dense layer over one or more inputs.

    Several inputs let a layer take the action beside the state features without a concat
    (Emami and the paper: the action enters the critic's 2nd layer). ``init_range`` defaults
    to 1/sqrt(total fan-in). The variables are made in the caller's variable scope.
    """

    def __init__(self, fan_ins: Sequence[int], units: int, name: str, dtype,
                 init_range: float = None, activation=None):
        limit = init_range if init_range is not None else 1.0 / np.sqrt(sum(fan_ins))
        self.activation = activation
        with tf1.variable_scope(name):
            self.weights = [_variable(f"w{j}" if len(fan_ins) > 1 else "w", [n, units], dtype, limit)
                            for j, n in enumerate(fan_ins)]
            self.bias = _variable("b", [units], dtype, limit)

    def __call__(self, *inputs: tf.Tensor) -> tf.Tensor:
        out = tf.add_n([tf.matmul(x, w) for x, w in zip(inputs, self.weights)]) + self.bias
        return self.activation(out) if self.activation is not None else out


def _variable(name: str, shape, dtype, limit: float):
    seed = zlib.crc32(f"{tf1.get_variable_scope().name}/{name}".encode()) & 0x7FFFFFFF
    return tf1.get_variable(name, shape, dtype, tf1.random_uniform_initializer(-limit, limit, seed),
                            use_resource=True)


class Torso:
    """The hidden layers shared by both builders.

    ``residual_blocks == 0``: an MLP of ``hidden`` widths; ``second_dim`` > 0 makes the second
    layer take a second input of that size (the critic's action, Emami style).
    ``residual_blocks > 0``: canton's body, a linear layer of width ``hidden[0]`` followed by
    that many blocks ``h + act(W2 act(W1 h))`` with a bottleneck of half the width.
    """

    def __init__(self, in_dim: int, hidden: Sequence[int], activation: str, dtype,
                 residual_blocks: int = 0, second_dim: int = 0):
        act = getattr(tf.nn, ACTIVATIONS[activation])  # e.g. tf.nn.relu
        self.residual = residual_blocks > 0
        if self.residual:
            width = hidden[0]
            self.layers: List = [Dense([in_dim], width, "l0", dtype)]
            for i in range(residual_blocks):
                with tf1.variable_scope(f"res{i}"):
                    self.layers.append((Dense([width], max(width // 2, 1), "in", dtype, activation=act),
                                        Dense([max(width // 2, 1)], width, "out", dtype, activation=act)))
            self.width = width
            return
        self.layers, width = [], in_dim
        for i, units in enumerate(hidden):
            fan_ins = [width, second_dim] if (i == 1 and second_dim) else [width]
            self.layers.append(Dense(fan_ins, units, f"l{i}", dtype, activation=act))
            width = units
        self.width = width

    def __call__(self, x: tf.Tensor, second: tf.Tensor = None) -> tf.Tensor:
        if self.residual:
            h = self.layers[0](x)
            for inner, outer in self.layers[1:]:
                h = h + outer(inner(h))
            return h
        h = x
        for i, layer in enumerate(self.layers):
            h = layer(h, second) if (i == 1 and second is not None) else layer(h)
        return h


class BuiltinActor:
    """``pre_squash(s)`` [N,A]: a torso and a linear output layer (made in the caller's scope)."""

    def __init__(self, obs_dim: int, action_dim: int, config, dtype):
        c = config
        self.scope = tf1.get_variable_scope().name
        self.torso = Torso(obs_dim, c.actor_hidden, c.activation, dtype, c.residual_blocks)
        self.out = Dense([self.torso.width], action_dim, "out", dtype, init_range=c.final_init or None)

    def __call__(self, s: tf.Tensor) -> tf.Tensor:
        return self.out(self.torso(s))

    @property
    def variables(self) -> list:
        return trainable_variables(self.scope)


class BuiltinCritic:
    """``Q(s, a)`` [N,1]. ``critic_action_input``: "second" feeds ``a`` into the second hidden
    layer, "concat" concatenates ``[s, a]`` at the input."""

    def __init__(self, obs_dim: int, action_dim: int, config, dtype):
        c = config
        self.scope = tf1.get_variable_scope().name
        self.concat = c.critic_action_input == "concat"
        in_dim, second_dim = (obs_dim + action_dim, 0) if self.concat else (obs_dim, action_dim)
        self.torso = Torso(in_dim, c.critic_hidden, c.activation, dtype, c.residual_blocks, second_dim)
        self.out = Dense([self.torso.width], 1, "out", dtype, init_range=c.final_init or None)

    def __call__(self, s: tf.Tensor, a: tf.Tensor) -> tf.Tensor:
        if self.concat:
            return self.out(self.torso(tf.concat([s, a], axis=1)))
        return self.out(self.torso(s, a))

    @property
    def variables(self) -> list:
        return trainable_variables(self.scope)


class KerasNetwork:
    """A ``tf_keras`` model used as the actor (``model(s)``) or the critic: ``model([s, a])``
    for a model of two inputs, ``model(concat([s, a]))`` for one of a single input (e.g. a
    ``Sequential``). Each call checks what the model gives: [N, ``out_dim``]."""

    def __init__(self, model, takes_action: bool, out_dim: int):
        self.model, self.takes_action, self.out_dim = model, takes_action, out_dim
        self.concat = takes_action and len(model.inputs or [None]) == 1  # Sequential: None
        self.kind = "critic" if takes_action else "actor"

    @property
    def variables(self) -> list:
        return list(self.model.trainable_variables)

    def __call__(self, s: tf.Tensor, a: tf.Tensor = None) -> tf.Tensor:
        given = f"[N,{s.shape[-1]}]" + (f" and [N,{a.shape[-1]}]" if self.takes_action else "")
        try:
            if not self.takes_action:
                out = self.model(s)
            else:
                out = self.model(tf.concat([s, a], axis=1)) if self.concat else self.model([s, a])
        except (ValueError, TypeError) as exc:  # Keras' input checks
            raise ConfigError(f"the {self.kind} model does not take {given}: "
                              f"{first_line(exc)}") from None
        if out.shape.rank != 2 or out.shape[-1] != self.out_dim:
            raise ConfigError(f"the {self.kind} model maps {given} to {out.shape.as_list()}; "
                              f"it must give [N,{self.out_dim}]")
        return out


def check_memory(config, variables, trainable) -> None:
    """Refuses networks whose variables (weights, targets, optimiser slots: ``variables``) and
    one gradient of each of ``trainable`` exceed this machine's available memory, before
    TensorFlow allocates them: the graph only declares them, so this runs before the session
    initialises anything (one line instead of TensorFlow's traceback)."""
    def size(v):
        return int(np.prod(v.shape.as_list())) * v.dtype.base_dtype.size

    need = sum(map(size, variables)) + sum(map(size, trainable))
    available = available_memory()
    if available and need > available:
        networks = ("the actor and critic models" if config.actor_model or config.critic_model else
                    f"the networks (actor_hidden={list(config.actor_hidden)}, "
                    f"critic_hidden={list(config.critic_hidden)})")
        raise ConfigError(f"{networks} need about {need / 2 ** 30:.1f} GiB for their weights, "
                          f"targets, optimiser slots and gradients; {available / 2 ** 30:.1f} "
                          "GiB of memory is available")


def available_memory() -> int:
    """Bytes of memory available to new allocations (Linux's MemAvailable), or 0 if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def load_factory(spec) -> Callable:
    """``"package.module:function"`` (or a callable) -> the model factory it names."""
    if callable(spec):
        return spec
    module_name, _, attr = str(spec).partition(":")
    if not module_name or not attr:
        raise ConfigError(f"a model factory is named 'package.module:function', got {spec!r}")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name!r} for model factory {spec!r}: {exc}") from None
    except AttributeError:
        raise ConfigError(f"module {module_name!r} has no {attr!r} (model factory {spec!r})") from None
    if not callable(factory):
        raise ConfigError(f"model factory {spec!r} is not callable")
    return factory


def make_network(kind: str, scope: str, obs_dim: int, action_dim: int, config, dtype,
                 factory=None):
    """The actor (``kind="actor"``) or critic, its variables made under ``scope``: the
    built-in builder, or ``factory(obs_dim, action_dim)``'s ``tf_keras`` model."""
    with tf1.variable_scope(scope):
        if factory is None:
            builder = BuiltinActor if kind == "actor" else BuiltinCritic
            return builder(obs_dim, action_dim, config, dtype)
        with _keras_seeds(scope):
            try:
                model = factory(obs_dim, action_dim)
            except Exception as exc:  # the factory's own code
                raise ConfigError(f"the {kind} factory failed: {type(exc).__name__}: "
                                  f"{first_line(exc)}") from None
            _check_tf_keras(model, kind)
            if not model.built:  # a Sequential without an input shape makes its variables here
                model.build((None, obs_dim if kind == "actor" else obs_dim + action_dim))
        other = sorted({v.dtype.base_dtype.name for v in model.weights} - {dtype.name})
        if other:
            raise ConfigError(f"the {kind} model has {other[0]} weights but the config's "
                              f"dtype is {dtype.name}: make them agree")
        return KerasNetwork(model, takes_action=(kind == "critic"),
                            out_dim=action_dim if kind == "actor" else 1)


def _check_tf_keras(model, kind: str) -> None:
    """A ``tf_keras`` model, or one line saying what it is instead (Keras 3 above all)."""
    import tf_keras  # (tf_keras loads only for Keras models)
    if isinstance(model, tf_keras.Model):
        return
    if type(model).__module__.split(".")[0] == "keras":
        raise ConfigError(f"the {kind} factory returned a Keras 3 model ({type(model).__name__}), "
                          "which has no graph mode: build it with tf_keras (import tf_keras; "
                          "tf_keras.Sequential, tf_keras.layers), not keras or tf.keras (which "
                          "is tf_keras on the command line, and in Python when "
                          "TF_USE_LEGACY_KERAS=1 is set before TensorFlow is imported)")
    raise ConfigError(f"the {kind} factory must return a tf_keras model, got {type(model).__name__}")


@contextlib.contextmanager
def _keras_seeds(scope: str):
    """Seeds tf_keras's unseeded initialisers from the graph's seed and ``scope``.

    Pitfall: an unseeded tf_keras initialiser draws its seed from Python's global ``random``
    (new weights in every process) unless tf_keras's thread-local seed generator is set, which
    ``tf_keras.utils.set_random_seed`` does along with every global seed. We set only that
    generator, for this thread, and put back what was there.
    """
    from tf_keras.src import backend  # (tf_keras loads only for Keras models)
    seed = zlib.crc32(f"{tf1.get_default_graph().seed}/{scope}".encode())
    saved = getattr(backend._SEED_GENERATOR, "generator", None)
    backend._SEED_GENERATOR.generator = random.Random(seed)
    try:
        yield
    finally:
        backend._SEED_GENERATOR.generator = saved


def trainable_variables(scope: str) -> list:
    """The trainable variables made under ``scope``, in creation order."""
    return tf1.trainable_variables(scope + "/")
