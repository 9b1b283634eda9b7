"""ddpg_graph: DDPG as static TensorFlow graphs (tf.compat.v1), on Gymnasium."""
__version__ = "0.1.0"
