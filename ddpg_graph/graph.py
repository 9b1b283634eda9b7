"""The whole DDPG static graph, built once into the caller's default ``tf.Graph``.

Symbols (B = batch size, S = observation size, A = action size):

=================  =======  ==============================================================
symbol             shape    meaning
=================  =======  ==============================================================
``s``              [B,S]    replay batch: states
``a``              [B,A]    replay batch: the stored (noisy) actions
``r``              [B,1]    replay batch: rewards
``done``           [B,1]    replay batch: 1.0 only for a true terminal (never a time limit)
``s2``             [B,S]    replay batch: next states
``obs``            [N,S]    states to act on (N = 1 when stepping an env)
``act_mu``         [N,A]    ``mu(obs)``: the deterministic action, inside the env's bounds
``act_q``          [N,1]    ``Q(obs, mu(obs))``: the critic's value of that action (the scope)
``chain_act_mu``   [1,A]    the action fetched with ``act_train_op``: ``mu(obs)`` before the update
``chain_act_q``    [1,1]    with the scope on, its Q as the actor step sees the critic (else None)
``q``              [B,1]    ``Q(s, a)``: the critic on the stored actions
``y``              [B,1]    ``r + gamma (1 - done) Q'(s2, mu'(s2))``, under stop_gradient
``critic_loss``    []       mean squared TD error ``mean((q - y)^2)`` + L2 on critic weights
``mu``             [B,A]    ``mu(s)``: the actor on the batch states
``q_mu``           [B,1]    ``Q(s, mu(s))``: shares the critic's variables
``dq_da``          [B,A]    ``dQ(s, a)/da`` at ``a = mu(s)``: the critic-supplied action gradient
``actor_grads``    per var  ``tf.gradients(mu, theta_mu, grad_ys=-dq_da / B)``
``actor_loss``     []       ``-mean(q_mu)``; its gradient equals ``actor_grads``
``critic_grads``   per var  ``d critic_loss / d theta_Q``
=================  =======  ==============================================================

Ops:

- ``critic_train``: one optimiser step on ``critic_loss``.
- ``actor_train``: one optimiser step along ``actor_grads``.
- ``soft_update``: ``theta' <- tau theta + (1 - tau) theta'`` for both target networks.
- ``hard_update``: ``theta' <- theta`` (run once at the start).
- ``train_op``: the three above in one ordered chain: critic step; then the actor step with
  ``dq_da`` from the critic as just updated; then soft updates from the new weights.
  (``config.update_order`` can chain them otherwise, to reproduce tutorials that did.)
- ``act_train_op``: ``train_op`` plus the action for the next env step, ``chain_act_mu``,
  from the actor's weights before the update. Without the scope, that is ``act_mu``, and
  the first step waits for it. With the scope on, the actor step's forward pass runs on the
  batch with ``obs`` appended as one more row (whose gradient is masked out), which gives
  the action and ``chain_act_q`` = Q(obs, mu(obs)) for the scope at no extra pass; in the
  default order that Q is the critic's just after this step's critic update.
- ``multi_train_op`` / ``act_multi_train_op`` (only when ``config.gradient_steps`` K > 1):
  a ``tf.while_loop`` of K ordered updates, update k on batch k of the stacked placeholders
  ``s_k`` [K,B,S], ``a_k`` [K,B,A], ``r_k`` / ``done_k`` [K,B,1], ``s2_k`` [K,B,S]; one
  ``session.run`` does what K runs of ``train_op`` would. Their stats are the means over the K
  updates (the max for max Q).

The ordering uses control dependencies on resource variables: a forward pass built inside
``tf.control_dependencies([op])`` reads the variables after ``op`` has written them. That is
why the chained steps rebuild their forward passes instead of reusing the symbols above.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from . import networks

tf1 = tf.compat.v1

OPTIMIZERS = {
    "adam": lambda lr: tf1.train.AdamOptimizer(lr),
    "rmsprop": lambda lr: tf1.train.RMSPropOptimizer(lr),
}


class Batch(NamedTuple):
    """A replay batch as graph tensors: s [B,S], a [B,A], r [B,1], done [B,1], s2 [B,S]."""
    s: tf.Tensor
    a: tf.Tensor
    r: tf.Tensor
    done: tf.Tensor
    s2: tf.Tensor


class DDPGGraph:
    def __init__(self, obs_dim: int, action_low: np.ndarray, action_high: np.ndarray, config):
        self.config = c = config
        dtype = tf.as_dtype(c.dtype)
        action_low = np.asarray(action_low, np.float64)
        action_high = np.asarray(action_high, np.float64)
        action_dim = len(action_low)
        self._actor_args = dict(action_low=action_low, action_high=action_high,
                                hidden=c.actor_hidden, activation=c.activation,
                                final_init=c.final_init, residual_blocks=c.residual_blocks)
        self._critic_args = dict(hidden=c.critic_hidden, action_input=c.critic_action_input,
                                 activation=c.activation, final_init=c.final_init,
                                 residual_blocks=c.residual_blocks)

        with tf1.name_scope("inputs"):
            self.s = tf1.placeholder(dtype, [None, obs_dim], "s")
            self.a = tf1.placeholder(dtype, [None, action_dim], "a")
            self.r = tf1.placeholder(dtype, [None, 1], "r")
            self.done = tf1.placeholder(dtype, [None, 1], "done")
            self.s2 = tf1.placeholder(dtype, [None, obs_dim], "s2")
            self.obs = tf1.placeholder(dtype, [None, obs_dim], "obs")
        self.batch = Batch(self.s, self.a, self.r, self.done, self.s2)

        # Scopes first; the first build in each creates the variables, later ones reuse them.
        with tf1.variable_scope("main/pi") as self._pi_scope:
            self.act_mu = networks.actor(self.obs, **self._actor_args)
        with tf1.variable_scope("main/q") as self._q_scope:
            pass
        with tf1.variable_scope("target/pi") as self._target_pi_scope:
            pass
        with tf1.variable_scope("target/q") as self._target_q_scope:
            pass
        self._critic_opt = OPTIMIZERS[c.optimizer](c.critic_lr)
        self._actor_opt = OPTIMIZERS[c.optimizer](c.actor_lr)

        # Critic: regression onto the bootstrapped target.
        terms = self._critic_terms(self.batch, reuse=False)
        self.q, self.y, self.td_loss, self.critic_loss = (terms[k] for k in
                                                          ("q", "y", "td_loss", "critic_loss"))
        self.q_mean, self.q_max = terms["q_mean"], terms["q_max"]
        with tf1.variable_scope(self._q_scope, reuse=True):
            self.act_q = networks.critic(self.obs, self.act_mu, **self._critic_args)
        self.actor_vars = tf1.trainable_variables("main/pi/")
        self.critic_vars = tf1.trainable_variables("main/q/")
        self.target_vars = tf1.trainable_variables("target/")
        self.critic_grads = tf.gradients(self.critic_loss, self.critic_vars)

        # The standalone steps: the symbols of the table above.
        self.critic_train, _ = self._critic_step([], self.batch, rebuild=False)
        (self.actor_train, self.mu, self.q_mu, self.dq_da, self.actor_grads,
         self.actor_loss, _) = self._actor_step([], self.batch)
        self.soft_update = self._soft_update(after=[])
        with tf1.name_scope("hard_update"):
            self.hard_update = tf.group(*[t.assign(m) for m, t in self._target_pairs()])

        # The ordered chains; ``train_stats``: actor loss, critic TD loss, mean and max Q.
        self.train_op, self.train_stats, _ = self._ordered_update([], self.batch)
        self.act_q_in_chain = c.scope != "off"
        if self.act_q_in_chain:
            self.act_train_op, self.act_train_stats, (self.chain_act_mu, self.chain_act_q) = (
                self._ordered_update([], self.batch, act_obs=self.obs))
        else:
            self.act_train_op, self.act_train_stats, _ = self._ordered_update([self.act_mu],
                                                                              self.batch)
            self.chain_act_mu, self.chain_act_q = self.act_mu, None
        if c.gradient_steps > 1:  # the loop acts first, with its own act passes
            acted = [self.act_mu, self.act_q] if self.act_q_in_chain else [self.act_mu]
            with tf1.name_scope("stacked_inputs"):
                self.batches = Batch(*[tf1.placeholder(dtype, [c.gradient_steps] + t.shape.as_list(),
                                                       t.op.name.split("/")[-1] + "_k")
                                       for t in self.batch])
            self.multi_train_op, self.multi_train_stats = self._update_loop([], self.batches)
            self.act_multi_train_op, self.act_multi_train_stats = self._update_loop(
                acted, self.batches)

    # -- builders ---------------------------------------------------------------------
    def _critic_terms(self, batch: Batch, reuse: bool) -> dict:
        """``q = Q(s, a)``, the target ``y`` and the losses on ``batch``, built in the current
        context."""
        c = self.config
        with tf1.name_scope("critic_loss"):
            with tf1.variable_scope(self._q_scope, reuse=reuse):
                q = networks.critic(batch.s, batch.a, **self._critic_args)
            with tf1.variable_scope(self._target_pi_scope, reuse=reuse):
                mu_targ = networks.actor(batch.s2, **self._actor_args)
            with tf1.variable_scope(self._target_q_scope, reuse=reuse):
                q_targ = networks.critic(batch.s2, mu_targ, **self._critic_args)
            # (the Keras notebook's quirk multiplies by done instead: bootstrap_on_terminal)
            keep = batch.done if c.bootstrap_on_terminal else 1.0 - batch.done
            y = tf.stop_gradient(batch.r + c.gamma * keep * q_targ, name="y")
            td_loss = tf.reduce_mean(tf.square(q - y))
            critic_loss = td_loss
            if c.critic_l2 > 0:
                weights = [v for v in tf1.trainable_variables("main/q/")
                           if v.op.name.split("/")[-1].startswith("w")]
                critic_loss += c.critic_l2 * tf.add_n([tf.nn.l2_loss(w) for w in weights])
            return {"q": q, "y": y, "td_loss": td_loss, "critic_loss": critic_loss,
                    "q_mean": tf.reduce_mean(q), "q_max": tf.reduce_max(q)}

    def _critic_step(self, after, batch: Batch, rebuild: bool):
        """A critic update on ``batch`` after ``after``, and its (TD loss, mean Q, max Q)
        before it. ``rebuild``: read the variables anew after ``after`` (needed when ``after``
        wrote any the critic's loss reads, e.g. a soft update that runs first); without it
        ``batch`` must be the placeholders, whose loss is already built."""
        if not rebuild:
            with tf.control_dependencies(after):
                train = self._critic_opt.apply_gradients(
                    list(zip(self.critic_grads, self.critic_vars)), name="critic_train")
            return train, (self.td_loss, self.q_mean, self.q_max)
        with tf.control_dependencies(after), tf1.name_scope("critic_step"):
            terms = self._critic_terms(batch, reuse=True)
            grads = tf.gradients(terms["critic_loss"], self.critic_vars)
            train = self._critic_opt.apply_gradients(list(zip(grads, self.critic_vars)))
            return train, (terms["td_loss"], terms["q_mean"], terms["q_max"])

    def _actor_step(self, after, batch: Batch, act_obs=None):
        """Builds, after the ops in ``after``: ``mu(s)``, ``Q(s, mu(s))``, ``dq_da`` and the
        actor update along ``-dq_da / B`` pushed back through ``mu``. With ``act_obs`` [N,S],
        the forward pass also runs on those rows (their gradient masked to zero) and the
        last item returned is their (``mu`` [N,A], ``Q`` [N,1]); else it is None."""
        with tf.control_dependencies(after), tf1.name_scope("actor_step"):
            rows = tf.shape(batch.s)[0]
            s = batch.s if act_obs is None else tf.concat([batch.s, act_obs], 0)
            with tf1.variable_scope(self._pi_scope, reuse=True):
                mu_all = networks.actor(s, **self._actor_args)
            with tf1.variable_scope(self._q_scope, reuse=True):
                q_all = networks.critic(s, mu_all, **self._critic_args)
            dq_da_all = tf.gradients(q_all, mu_all)[0]  # row i depends on row i alone
            grad_ys = -dq_da_all / tf.cast(rows, s.dtype)
            mu, q_mu, dq_da, acted = mu_all, q_all, dq_da_all, None
            if act_obs is not None:
                grad_ys = tf.pad(grad_ys[:rows], [[0, tf.shape(act_obs)[0]], [0, 0]])
                mu, q_mu, dq_da = mu_all[:rows], q_all[:rows], dq_da_all[:rows]
                acted = (mu_all[rows:], q_all[rows:])
            grads = tf.gradients(mu_all, self.actor_vars, grad_ys=grad_ys)
            train = self._actor_opt.apply_gradients(list(zip(grads, self.actor_vars)))
            return train, mu, q_mu, dq_da, grads, -tf.reduce_mean(q_mu), acted

    def _soft_update(self, after):
        """``theta' <- theta' - tau (theta' - theta)``, i.e. ``tau theta + (1 - tau) theta'``,
        as one in-place op per variable: a subtraction and ``ResourceApplyGradientDescent``
        instead of two products, a sum and an assignment (three times faster)."""
        with tf.control_dependencies(after), tf1.name_scope("soft_update"):
            tau = tf.constant(self.config.tau, self.target_vars[0].dtype.base_dtype)
            return tf.group(*[tf.raw_ops.ResourceApplyGradientDescent(
                var=t.handle, alpha=tau, delta=t.read_value() - m.read_value())
                for m, t in self._target_pairs()])

    def _ordered_update(self, after, batch: Batch, rebuild: bool = False, act_obs=None):
        """The three steps on ``batch`` chained in ``config.update_order`` (default critic,
        actor, targets), the first after ``after``; returns the last op, the stats and the
        actor step's (mu, Q) of ``act_obs`` (None without it). ``rebuild``: build every
        forward pass anew (``batch`` is not the placeholders)."""
        deps, actor_loss, critic_stats, acted = list(after), None, None, None
        for position, step in enumerate(self.config.update_order.split(",")):
            if step == "critic":
                op, critic_stats = self._critic_step(deps, batch, rebuild=rebuild or position > 0)
            elif step == "actor":
                op, *_, actor_loss, acted = self._actor_step(deps, batch, act_obs)
            else:
                op = self._soft_update(deps)
            deps = [op]
        return op, (actor_loss,) + critic_stats, acted

    def _update_loop(self, after, batches: Batch):
        """``tf.while_loop`` over the K stacked batches: update k = ``_ordered_update`` on
        batch k, each iteration starting once the previous one's last write is done. Returns
        an op that ends with the loop and the stats averaged over the K updates."""
        steps = self.config.gradient_steps
        dtype = batches.s.dtype
        with tf.control_dependencies(after):
            start = tf.identity(tf.constant(0), name="first_update")  # waits for ``after``

        def body(k, sums, q_max):
            op, stats, _ = self._ordered_update([], Batch(*[t[k] for t in batches]), rebuild=True)
            actor_loss, td_loss, q_mean, batch_q_max = stats
            with tf.control_dependencies([op]):  # the next iteration reads after these writes
                return (k + 1, [tf.identity(x + y) for x, y in zip(sums, (actor_loss, td_loss, q_mean))],
                        tf.identity(tf.maximum(q_max, batch_q_max)))

        zero = tf.zeros([], dtype)
        with tf1.name_scope("update_loop"):
            _, sums, q_max = tf1.while_loop(lambda k, *_: k < steps, body,
                                            (start, [zero, zero, zero], tf.constant(dtype.min, dtype)),
                                            parallel_iterations=1, back_prop=False)
            means = [x / steps for x in sums]
            return tf.group(*sums, q_max), (means[0], means[1], means[2], q_max)

    def _target_pairs(self):
        """(online variable, target variable) pairs, matched by name."""
        targets = {v.op.name[len("target/"):]: v for v in self.target_vars}
        online = self.actor_vars + self.critic_vars
        assert len(online) == len(targets)
        return [(m, targets[m.op.name[len("main/"):]]) for m in online]
