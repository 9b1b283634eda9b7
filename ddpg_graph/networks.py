"""Graph builders for the actor ``mu(s)`` and the critic ``Q(s, a)``.

Call them inside a ``tf.compat.v1.variable_scope``; calling again in the same scope with
``reuse=True`` shares the variables (``critic(s, mu)`` reuses ``critic(s, a)``'s weights).
All variables are resource variables so that control dependencies order reads and writes.

Initialisation follows the paper: hidden weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
the final layer ~ U(-final_init, final_init) so that early outputs sit near zero.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1

ACTIVATIONS = {"relu": tf.nn.relu, "elu": tf.nn.elu, "tanh": tf.nn.tanh}


def dense(inputs: Sequence[tf.Tensor], units: int, name: str, init_range: float = None,
          activation=None) -> tf.Tensor:
    """``activation(sum_j inputs[j] @ W_j + b)``: a dense layer over one or more input tensors.

    Several inputs let a layer take the action beside the state features without a concat
    (Emami/the paper: the action enters the critic's 2nd layer). ``init_range`` defaults to
    1/sqrt(total fan-in).
    """
    fan_in = sum(int(x.shape[-1]) for x in inputs)
    limit = init_range if init_range is not None else 1.0 / np.sqrt(fan_in)
    init = tf1.random_uniform_initializer(-limit, limit)
    dtype = inputs[0].dtype
    with tf1.variable_scope(name):
        total = None
        for j, x in enumerate(inputs):
            w = tf1.get_variable(f"w{j}" if len(inputs) > 1 else "w", [int(x.shape[-1]), units],
                                 dtype, init, use_resource=True)
            term = tf.matmul(x, w)
            total = term if total is None else total + term
        b = tf1.get_variable("b", [units], dtype, init, use_resource=True)
        out = total + b
    return activation(out) if activation is not None else out


def residual_block(h: tf.Tensor, name: str, activation) -> tf.Tensor:
    """``h + act(W2 act(W1 h))`` with a bottleneck of half the width (canton's ResDense)."""
    width = int(h.shape[-1])
    with tf1.variable_scope(name):
        inner = dense([h], max(width // 2, 1), "in", activation=activation)
        return h + dense([inner], width, "out", activation=activation)


def torso(x: tf.Tensor, hidden: Sequence[int], activation: str, residual_blocks: int = 0,
          second_input: tf.Tensor = None) -> tf.Tensor:
    """The hidden layers shared by both builders.

    ``residual_blocks == 0``: an MLP of ``hidden`` widths, ``second_input`` (the critic's
    action, Emami style) joining the second layer. ``residual_blocks > 0``: canton's body, a
    linear layer of width ``hidden[0]`` followed by that many residual blocks.
    """
    act = ACTIVATIONS[activation]
    if residual_blocks:
        h = dense([x], hidden[0], "l0")
        for i in range(residual_blocks):
            h = residual_block(h, f"res{i}", act)
        return h
    h = x
    for i, width in enumerate(hidden):
        inputs = [h, second_input] if (i == 1 and second_input is not None) else [h]
        h = dense(inputs, width, f"l{i}", activation=act)
    return h


def actor(s: tf.Tensor, action_low: np.ndarray, action_high: np.ndarray,
          hidden: Sequence[int], activation: str = "relu", final_init: float = 3e-3,
          residual_blocks: int = 0) -> tf.Tensor:
    """``mu(s)`` [B,A]: a torso with a tanh output mapped onto [action_low, action_high]."""
    h = torso(s, hidden, activation, residual_blocks)
    unit = tf.tanh(dense([h], len(action_low), "out", init_range=final_init))
    centre = tf.constant((action_high + action_low) / 2.0, s.dtype)
    half_range = tf.constant((action_high - action_low) / 2.0, s.dtype)
    return centre + half_range * unit


def critic(s: tf.Tensor, a: tf.Tensor, hidden: Sequence[int], action_input: str = "second",
           activation: str = "relu", final_init: float = 3e-3, residual_blocks: int = 0) -> tf.Tensor:
    """``Q(s, a)`` [B,1]. ``action_input``: "second" feeds ``a`` into the second hidden layer,
    "concat" concatenates ``[s, a]`` at the input."""
    if action_input == "concat":
        h = torso(tf.concat([s, a], axis=1), hidden, activation, residual_blocks)
    else:
        h = torso(s, hidden, activation, residual_blocks, second_input=a)
    return dense([h], 1, "out", init_range=final_init)
