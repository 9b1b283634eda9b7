"""``tf_keras`` model factories: the Keras MountainCar notebook's networks, and the form a
user's own factory takes (``Config.actor_model="package.module:function"``).

A factory takes ``(obs_dim, action_dim)`` and returns a new ``tf_keras`` model. An actor maps
observations [N,S] to pre-squash actions [N,A] (the graph applies tanh and the env's bounds,
so the output layer is linear); a critic maps ``[observations, actions]`` to Q [N,1].
"""
import tf_keras
from tf_keras import layers


def mountaincar_actor(obs_dim: int, action_dim: int) -> tf_keras.Model:
    """The notebook's actor: three 320-unit ReLU layers (its tanh output is the graph's squash)."""
    state = layers.Input(shape=(obs_dim,), name="state")
    h = state
    for _ in range(3):
        h = layers.Dense(320, activation="relu")(h)
    return tf_keras.Model(state, layers.Dense(action_dim)(h))


def mountaincar_critic(obs_dim: int, action_dim: int) -> tf_keras.Model:
    """The notebook's critic: state and action concatenated, three 640-unit ReLU layers."""
    state = layers.Input(shape=(obs_dim,), name="state")
    action = layers.Input(shape=(action_dim,), name="action")
    h = layers.concatenate([state, action])
    for _ in range(3):
        h = layers.Dense(640, activation="relu")(h)
    return tf_keras.Model([state, action], layers.Dense(1)(h))
