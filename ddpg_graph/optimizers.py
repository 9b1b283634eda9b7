"""The optimisers ``config.optimizer`` names (``config.OPTIMIZERS``), built for one network.

``adam`` and ``rmsprop`` are ``tf.compat.v1.train``'s own. ``torch_adam`` is Adam as PyTorch
(and so Stable-Baselines3) computes it. The two Adams differ only in where epsilon sits:

    TensorFlow:  theta -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
    PyTorch:     theta -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

i.e. TensorFlow's epsilon is PyTorch's times ``sqrt(1 - b2^t)``: about 0.03 eps at the first
step, so a weight whose gradient is near ``eps`` moves differently in the first few hundred
steps. ``TorchAdam`` keeps ``AdamOptimizer``'s slots (``m``, ``v``) and its ``beta1_power`` /
``beta2_power`` accumulators (b1^t, b2^t for the step being applied), so checkpoints hold it
the same way; its constants and accumulators are in the variables' dtype.
"""
from __future__ import annotations

import tensorflow as tf

from .config import OPTIMIZERS

tf1 = tf.compat.v1


class TorchAdam(tf1.train.AdamOptimizer):
    """``tf1.train.AdamOptimizer`` with PyTorch's update rule (module docstring); dense
    gradients of resource variables only, which is what the graph makes."""

    def _create_slots(self, var_list):
        """AdamOptimizer's slots, its b1^t and b2^t accumulators in the variables' dtype (its
        own are float32 whatever the variables: float64 runs then drift from PyTorch's)."""
        first = min(var_list, key=lambda x: x.name)
        for name, beta in (("beta1_power", self._beta1), ("beta2_power", self._beta2)):
            self._create_non_slot_variable(initial_value=tf.constant(beta, first.dtype.base_dtype),
                                           name=name, colocate_with=first)
        for var in var_list:
            self._zeros_slot(var, "m", self._name)
            self._zeros_slot(var, "v", self._name)

    def _finish(self, update_ops, name_scope):
        """After every variable's step: b1^t and b2^t become b1^(t+1) and b2^(t+1)."""
        with tf.control_dependencies(update_ops):
            beta1_power, beta2_power = self._get_beta_accumulators()
            with tf1.colocate_with(beta1_power):
                updates = [power.assign(power * beta, use_locking=self._use_locking)
                           for power, beta in ((beta1_power, self._beta1), (beta2_power, self._beta2))]
        return tf.group(*update_ops, *updates, name=name_scope)

    def _resource_apply_dense(self, grad, var):
        dtype = var.dtype.base_dtype
        beta1_power, beta2_power = self._get_beta_accumulators()
        # the Python values, not AdamOptimizer's float32 tensors of them: cast to float64,
        # float32(0.9) is 0.8999999761..., which moved a float64 run's weights by ~1e-7
        lr, beta1, beta2, eps = (tf.constant(x, dtype) for x in
                                 (self._lr, self._beta1, self._beta2, self._epsilon))
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        m_t = m.assign(beta1 * m + (1.0 - beta1) * grad)
        v_t = v.assign(beta2 * v + (1.0 - beta2) * tf.square(grad))
        denominator = tf.sqrt(v_t) / tf.sqrt(1.0 - beta2_power) + eps
        step = var.assign_sub(lr / (1.0 - beta1_power) * m_t / denominator)
        return tf.group(step, m_t, v_t)

    def _resource_apply_sparse(self, grad, var, indices):
        raise NotImplementedError("TorchAdam takes dense gradients only")


def make(name: str, learning_rate: float):
    """The optimiser ``name`` (a key of ``OPTIMIZERS``) at ``learning_rate``."""
    cls = TorchAdam if OPTIMIZERS[name] == "TorchAdam" else getattr(tf1.train, OPTIMIZERS[name])
    return cls(learning_rate)
