"""``tf_keras`` model factories for the tests, named ``keras_factories:NAME`` in a config."""
import tf_keras
from tf_keras import layers


def sequential_actor(obs_dim, action_dim):
    return tf_keras.Sequential([layers.Dense(64, activation="relu"),
                                layers.Dense(64, activation="relu"), layers.Dense(action_dim)])


def sequential_critic(obs_dim, action_dim):
    """A single-input critic: the graph feeds it ``concat([s, a])``."""
    return tf_keras.Sequential([layers.Dense(64, activation="relu"),
                                layers.Dense(64, activation="relu"), layers.Dense(1)])


def small_actor(obs_dim, action_dim):
    """The built-in actor's shape in ``conftest.small_config``: 8-6 ReLU, linear output."""
    return tf_keras.Sequential([layers.Input((obs_dim,)), layers.Dense(8, activation="relu"),
                                layers.Dense(6, activation="relu"), layers.Dense(action_dim)])


def small_critic(obs_dim, action_dim):
    """The built-in "concat" critic's shape: [s, a] -> 8-6 ReLU -> Q."""
    s, a = layers.Input((obs_dim,)), layers.Input((action_dim,))
    h = layers.Dense(8, activation="relu")(layers.concatenate([s, a]))
    return tf_keras.Model([s, a], layers.Dense(1)(layers.Dense(6, activation="relu")(h)))


def float64_actor(obs_dim, action_dim):
    return tf_keras.Sequential([layers.Input((obs_dim,)), layers.Dense(action_dim, dtype="float64")])


def keras3_actor(obs_dim, action_dim):
    """A Keras 3 model (``tf.keras`` in TensorFlow 2.21): not usable in a graph."""
    import keras
    return keras.Sequential([keras.layers.Input((obs_dim,)), keras.layers.Dense(action_dim)])


def wide_actor(obs_dim, action_dim):
    """One output too many."""
    return tf_keras.Sequential([layers.Input((obs_dim,)), layers.Dense(action_dim + 1)])


def five_input_actor(obs_dim, action_dim):
    """Expects observations of 5 values."""
    return tf_keras.Sequential([layers.Input((5,)), layers.Dense(action_dim)])


def three_output_critic(obs_dim, action_dim):
    return tf_keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3)])


def failing_actor(obs_dim, action_dim):
    raise RuntimeError("the factory's own bug")
