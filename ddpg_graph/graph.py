"""The whole DDPG static graph, built once into the caller's default ``tf.Graph``, top down.

Symbols (B = batch size, N = rows to act on, S = observation size, A = action size):

==================  ========  ===============================================================
symbol              shape     meaning
==================  ========  ===============================================================
``s``               [B,S]     replay batch: states (default: no rows, for acting alone)
``a``               [B,A]     replay batch: the stored (noisy) actions (default: no rows)
``r``               [B,1]     replay batch: rewards
``done``            [B,1]     replay batch: 1.0 only for a true terminal (never a time limit)
``s2``              [B,S]     replay batch: next states
``obs``             [N,S]     states to act on (one row per env of the vector step; default: none)
``eps``             [B,A]     TD3's target-smoothing noise, N(0, ``target_noise``) in half action
                              ranges, drawn by the run's checkpointed generator and fed
``mu``              [B,A]     ``mu(s)``: the actor on the batch states
``act_mu``          [N,A]     ``mu(obs)``: the deterministic action, inside the env's bounds
``q``               [B,1]     ``Q(s, a)``: the critic on the stored actions (every Q takes
                              its action in the env's units, or in [-1, 1] when
                              ``critic_action_units`` is "unit": SB3's critic)
``q2``              [B,1]     ``Q2(s, a)``: the second critic (``twin_critics``), else None
``act_q``           [N,1]     ``Q(obs, mu(obs))``: the critic's value of that action (the scope)
``a2``              [B,A]     ``mu'(s2)``; with ``target_noise`` σ > 0, TD3's smoothing:
                              ``clip(mu'(s2) + half_range clip(eps, -c, c), low, high)``
                              (inside the target pass; not a field of ``Update``)
``q_targ``          [B,1]     ``Q'(s2, a2)``: the target networks on the next states; with
                              ``twin_critics``, ``min(Q1'(s2, a2), Q2'(s2, a2))``
``y``               [B,1]     ``r + gamma (1 - done) q_targ``, under stop_gradient
``td_loss``         []        ``mean((q - y)^2)`` (twin: ``+ mean((q2 - y)^2)``)
``critic_loss``     []        ``td_loss`` + ``critic_l2`` * L2 of the critic's weight matrices
``critic_grads``    per var   ``d critic_loss / d theta_Q``
``q_mu``            [B,1]     ``Q(s, mu(s))``, read after the critic step
``dq_da``           [B,A]     ``dQ(s, a)/da`` at ``a = mu(s)``: the critic-supplied action gradient
``actor_grads``     per var   ``tf.gradients(mu, theta_mu, grad_ys=-dq_da / B)`` (twin: Q1's)
``actor_loss``      []        ``-mean(q_mu)``; its gradient equals ``actor_grads``
``critic_step``     op        one optimiser step on ``critic_loss``
``actor_step``      op        one optimiser step along ``actor_grads``
``target_update``   op        ``theta' <- theta' - tau (theta' - theta)``, i.e.
                              ``tau theta + (1 - tau) theta'``, by ``assign_sub``, both targets
``n_updates``       [] int64  TD3's ``policy_delay`` d > 1: the critic steps so far (a variable)
``train_op``        op        the three steps, ordered as the math needs (below); with
                              ``policy_delay`` d > 1 the actor step and both soft updates
                              run in a ``tf.cond`` on ``n_updates % d == 0`` after the critic's
``stats``           tuple     ``STATS``: actor_loss, td_loss, mean and max of ``q``
``hard_update``     op        ``theta' <- theta`` (run once at the start)
==================  ========  ===============================================================

The main networks make one pass each over the batch with the rows to act on appended:
``actor([s; obs])`` gives ``mu`` and ``act_mu``, ``critic([s; obs], [a; act_mu])`` gives ``q``
and ``act_q``. So the action of ``act_and_train`` and its Q come from the weights before the
update, at no extra pass, whatever the display settings; ``act`` feeds ``obs`` alone (the batch
placeholders default to no rows) and ``train`` the batch alone (``obs`` defaults to none).

Builds in the graph: the actor twice (main on ``[s; obs]``, target on ``s2``) and the critic
three times (main on the stored actions, target, main on ``mu`` after the critic step); one
optimiser apply op per trainable variable. TD3's switches (``twin_critics``, ``target_noise``,
``policy_delay``) enter the same lines of ``build_update``, each marked "TD3"; with all three
off the graph is DDPG's, op for op (the second critic and the counter are not built at all).
With ``policy_delay`` the actor's gradients are still computed at every update (its loss is a
statistic of every update); only its step and the soft updates wait.

Towers. ``config.towers`` T > 1 cuts the batch into T equal parts (``tower_0`` ...
``tower_{T-1}`` in TensorBoard; ``obs`` rides with tower 0). Each tower makes the builds
above on its part and its own gradients; each optimiser applies the towers' mean gradient
once, which is the whole batch's gradient because every loss is a mean over equal parts. The
fields of ``Update`` are then the towers' rows joined in batch order and their mean losses.
The towers share nothing but the variables, so two inter-op threads run two towers side by
side on two cores, and ``config.device`` naming several devices places tower i on the i-th.
One tower is the graph above, op for op.

Ordering. Reads and writes of resource variables are ordered by control dependencies only
where the math needs it. In the paper's order (critic, actor, targets; ``build_update``)
``q_mu`` reads the critic after ``critic_step`` and each target's update follows its own
network's step; the main forward passes and the target path depend on nothing, so with two
inter-op threads they run side by side. ``config.update_order`` names another order to
reproduce a tutorial that used it (Morvan: targets, actor, critic; the TF2 article: actor,
critic, targets): the update is then built without ordering and ``update_order.apply`` adds
the control dependencies that order needs.

All of these are fields of ``net.update`` (an ``Update``), e.g. ``net.update.train_op``.

``config.updates_per_round`` K > 1 (``gradient_steps``, or ``n_envs``) adds ``loop_op``: a
``tf.while_loop`` whose body is the same builder, update k on batch k of the stacked placeholders ``s_k`` [K,B,S], ``a_k`` [K,B,A],
``r_k`` / ``done_k`` [K,B,1], ``s2_k`` [K,B,S], after ``act_mu`` and ``act_q`` are read; its
stats are the means over the K updates (the max for max Q).
"""
from __future__ import annotations

import contextlib
from typing import List, NamedTuple, Optional

import numpy as np
import tensorflow as tf

from . import networks, optimizers, update_order

tf1 = tf.compat.v1

# What ``Update.stats`` holds, in order: each update's actor loss, TD loss, and the mean and
# max of ``q`` (the critic on the stored actions, before the step).
STATS = ("actor_loss", "td_loss", "q_mean", "q_max")


class Batch(NamedTuple):
    """A replay batch as graph tensors: s [B,S], a [B,A], r [B,1], done [B,1], s2 [B,S], and
    eps [B,A], the target-smoothing noise (None without ``target_noise``)."""
    s: tf.Tensor
    a: tf.Tensor
    r: tf.Tensor
    done: tf.Tensor
    s2: tf.Tensor
    eps: Optional[tf.Tensor] = None

    def fields(self) -> List[str]:
        """The names of the fields this batch has (what a feed must hold)."""
        return [name for name, t in zip(self._fields, self) if t is not None]

    def map(self, fn) -> "Batch":
        """``fn(tensor)`` for each field this batch has."""
        return Batch(*[None if t is None else fn(t) for t in self])


class Update(NamedTuple):
    """One update's symbols, as in the table above (None: a switch that is off)."""
    mu: tf.Tensor
    act_mu: Optional[tf.Tensor]
    q: tf.Tensor
    q2: Optional[tf.Tensor]
    act_q: Optional[tf.Tensor]
    q_targ: tf.Tensor
    y: tf.Tensor
    td_loss: tf.Tensor
    critic_loss: tf.Tensor
    critic_grads: List[tf.Tensor]
    critic_step: tf.Operation
    q_mu: tf.Tensor
    dq_da: tf.Tensor
    actor_grads: List[tf.Tensor]
    actor_loss: tf.Tensor
    actor_step: tf.Operation
    target_update: tf.Operation
    train_op: tf.Operation
    stats: tuple  # the values STATS names


class DDPGGraph:
    """Placeholders, the networks, one ordered update (``update``) and the act fetch.

    ``actor_factory`` / ``critic_factory``: ``tf_keras`` model factories (see ``networks``)
    in place of the built-in builders; ``None`` takes ``config.actor_model`` /
    ``config.critic_model``, and the built-in builders when those are empty. ``devices``:
    TensorFlow device strings; with several, tower i runs on the i-th (the variables and the
    optimiser steps stay where the caller's device scope puts them).
    """

    def __init__(self, obs_dim: int, action_low, action_high, config,
                 actor_factory=None, critic_factory=None, devices=("",)):
        self.config = c = config
        self.devices = list(devices)
        dtype = tf.as_dtype(c.dtype)
        self.action_low = np.asarray(action_low, np.float64)
        self.action_high = np.asarray(action_high, np.float64)
        action_dim = len(self.action_low)

        with tf1.name_scope("inputs"):
            self.s = tf1.placeholder_with_default(tf.zeros([0, obs_dim], dtype), [None, obs_dim], "s")
            self.a = tf1.placeholder_with_default(tf.zeros([0, action_dim], dtype),
                                                  [None, action_dim], "a")
            self.r = tf1.placeholder(dtype, [None, 1], "r")
            self.done = tf1.placeholder(dtype, [None, 1], "done")
            self.s2 = tf1.placeholder(dtype, [None, obs_dim], "s2")
            self.obs = tf1.placeholder_with_default(tf.zeros([0, obs_dim], dtype),
                                                    [None, obs_dim], "obs")
            self.eps = (tf1.placeholder(dtype, [None, action_dim], "eps")
                        if c.target_noise > 0 else None)
        self.batch = Batch(self.s, self.a, self.r, self.done, self.s2, self.eps)

        if actor_factory is None and c.actor_model:
            actor_factory = networks.load_factory(c.actor_model)
        if critic_factory is None and c.critic_model:
            critic_factory = networks.load_factory(c.critic_model)
        self.actor_factory = actor_factory  # (export rebuilds the actor alone from it)

        def network(kind, scope):
            return networks.make_network(kind, scope, obs_dim, action_dim, c, dtype,
                                         actor_factory if kind == "actor" else critic_factory)
        self.actor, self.critic = network("actor", "main/pi"), network("critic", "main/q")
        self.target_actor, self.target_critic = network("actor", "target/pi"), network("critic", "target/q")
        # (built after the first four: their initial weights stay those of a DDPG run)
        self.critic2 = network("critic", "main/q2") if c.twin_critics else None
        self.target_critic2 = network("critic", "target/q2") if c.twin_critics else None
        critics = [self.critic] + ([self.critic2] if c.twin_critics else [])
        target_critics = [self.target_critic] + ([self.target_critic2] if c.twin_critics else [])
        self.actor_vars = self.actor.variables
        self.critic_vars = [v for net in critics for v in net.variables]  # both critics: one loss
        self.target_vars = self.target_actor.variables + [v for net in target_critics for v in net.variables]
        self.actor_pairs = _pairs(self.actor_vars, self.target_actor.variables)
        self.critic_pairs = _pairs(self.critic_vars, [v for net in target_critics for v in net.variables])
        self.critic_opt = optimizers.make(c.optimizer, c.critic_lr)
        self.actor_opt = optimizers.make(c.optimizer, c.actor_lr)
        self.n_updates = None
        if c.policy_delay > 1:  # the critic steps so far: a variable, so checkpoints hold it
            self.n_updates = tf1.get_variable("n_updates", [], tf.int64, tf1.zeros_initializer(),
                                              trainable=False, use_resource=True)

        self.update = self.ordered_update(self.batch, self.obs)
        with tf1.name_scope("hard_update"):
            self.hard_update = tf.group(*[t.assign(m) for m, t in self.actor_pairs + self.critic_pairs])

        if c.updates_per_round > 1:
            with tf1.name_scope("stacked_inputs"):
                self.batches = self.batch.map(
                    lambda t: tf1.placeholder(dtype, [c.updates_per_round] + t.shape.as_list(),
                                              t.op.name.split("/")[-1] + "_k"))
            self.loop_op, self.loop_stats = self._update_loop(self.batches)

    def ordered_update(self, batch: Batch, obs) -> Update:
        """The update in ``config.update_order``: the paper's as written in ``build_update``,
        another by ``update_order.apply`` on the unordered build."""
        if self.config.update_order == update_order.PAPER:
            return self.build_update(batch, obs, ordered=True)
        update = self.build_update(batch, obs, ordered=False)
        update_order.apply(update, self.config.update_order, self)
        return update

    # -- the update, top down, in the paper's order ------------------------------------------
    def build_update(self, batch: Batch, obs=None, ordered: bool = True) -> Update:
        """One update on ``batch``, acting on ``obs`` [N,S] too when it is given: DDPG's, or
        TD3's where its switches are on. ``ordered``: the paper's order (critic, actor,
        targets); else no step waits for another (tests run each step alone on such a build).

        With ``config.towers`` T > 1 the batch is cut into T equal parts and each tower
        computes the critic's, then the actor's, gradients on its part; each network takes one
        step along the towers' mean gradient (the gradient of the whole batch's loss, as the
        losses are means over equal parts). The towers share only the variables, so inter-op
        threads (or the devices of ``config.device``) run them side by side."""
        c = self.config
        parts = _split(batch, c.towers)

        # 1. critic, per tower: the main pass, the target pass, the TD target, loss, gradients
        critic_towers = []
        for i, part in enumerate(parts):
            acting = obs if i == 0 else None  # the rows to act on ride with tower 0
            rows = tf.shape(part.s)[0]
            with self._tower(i):
                # main pass: the actor and the critic once each, over the batch and the rows to act on
                with tf1.name_scope("main"):
                    states = part.s if acting is None else tf.concat([part.s, acting], 0)
                    mu_all = self._policy(self.actor, states)
                    actions = part.a if acting is None else tf.concat([part.a, mu_all[rows:]], 0)
                    q_all = self._q(self.critic, states, actions)
                    mu, q = mu_all[:rows], q_all[:rows]
                    # TD3, twin_critics: the second critic on the stored actions
                    q2 = self._q(self.critic2, part.s, part.a) if c.twin_critics else None

                # target pass: Q'(s2, a2), a2 = mu'(s2)
                with tf1.name_scope("target"):
                    a2 = self._policy(self.target_actor, part.s2)
                    if c.target_noise > 0:  # TD3: a2 = clip(mu'(s2) + clip(eps, -c, c), low, high)
                        a2 = networks.smoothed(a2, part.eps, c.target_noise_clip,
                                               self.action_low, self.action_high)
                    q_targ = self._q(self.target_critic, part.s2, a2)
                    if c.twin_critics:  # TD3: the smaller of the two target critics
                        q_targ = tf.minimum(q_targ, self._q(self.target_critic2, part.s2, a2),
                                            name="min_q_targ")

                # TD target, loss, gradients
                with tf1.name_scope("critic_loss"):
                    # (the Keras notebook's quirk multiplies by done instead: bootstrap_on_terminal)
                    keep = part.done if c.bootstrap_on_terminal else 1.0 - part.done
                    y = tf.stop_gradient(part.r + c.gamma * keep * q_targ, name="y")
                    td_loss = tf.reduce_mean(tf.square(q - y), name="td_loss")
                    if c.twin_critics:  # TD3: the sum of both critics' MSEs
                        td_loss += tf.reduce_mean(tf.square(q2 - y))
                    loss = td_loss
                    if c.critic_l2 > 0:
                        weights = [v for v in self.critic_vars if v.shape.ndims >= 2]
                        loss += c.critic_l2 * tf.add_n([tf.nn.l2_loss(w) for w in weights])
                    grads = tf.gradients(loss, self.critic_vars, name="critic_grads")
            critic_towers.append(dict(
                mu=mu, act_mu=None if acting is None else mu_all[rows:], q=q, q2=q2,
                act_q=None if acting is None else q_all[rows:], q_targ=q_targ, y=y,
                td_loss=td_loss, critic_loss=loss, critic_grads=grads))
        critic = _whole_batch(critic_towers)
        critic_step = self.critic_opt.apply_gradients(
            list(zip(critic["critic_grads"], self.critic_vars)), name="critic_step")

        # 2. actor, per tower: Q(s, mu(s)) on the updated critic, its action gradient, the
        # actor's gradients along it (TD3: the first critic's)
        actor_towers = []
        with tf.control_dependencies([critic_step] if ordered else []):
            for i, (part, tower) in enumerate(zip(parts, critic_towers)):
                with self._tower(i):
                    with tf1.name_scope("actor_loss"):
                        q_mu = self._q(self.critic, part.s, tower["mu"])
                        actor_loss = -tf.reduce_mean(q_mu)
                    with tf1.name_scope("actor_grads"):
                        dq_da = tf.gradients(q_mu, tower["mu"], name="dq_da")[0]
                        grads = tf.gradients(tower["mu"], self.actor_vars,
                                             grad_ys=-dq_da / tf.cast(tf.shape(part.s)[0], dq_da.dtype))
                actor_towers.append(dict(q_mu=q_mu, dq_da=dq_da, actor_loss=actor_loss,
                                         actor_grads=grads))
            actor = _whole_batch(actor_towers)

        # 3. the actor's step, then the targets, each following its own network's step
        def actor_and_targets():
            actor_step = self.actor_opt.apply_gradients(
                list(zip(actor["actor_grads"], self.actor_vars)), name="actor_step")
            with tf1.name_scope("target_update"):
                target_update = tf.group(
                    self._soft_update(self.actor_pairs, after=[actor_step] if ordered else []),
                    self._soft_update(self.critic_pairs, after=[critic_step] if ordered else []),
                    name="target_update")
            return actor_step, target_update

        if c.policy_delay == 1:
            actor_step, target_update = actor_and_targets()
        else:  # TD3: every d-th update only, counted after the critic's step (as SB3's TD3 counts)
            with tf.control_dependencies([critic_step]), tf1.name_scope("policy_delay"):
                count = self.n_updates.assign_add(1)
                due = tf.equal(count % c.policy_delay, 0, name="due")
                actor_step = target_update = tf1.cond(
                    due, lambda: _done(actor_and_targets()), lambda: tf.constant(False),
                    name="delayed_actor_and_targets").op

        train_op = tf.group(critic_step, actor_step, target_update, name="train_op")
        q = critic["q"]
        stats = (actor["actor_loss"], critic["td_loss"], tf.reduce_mean(q), tf.reduce_max(q))
        return Update(**critic, **actor, critic_step=critic_step, actor_step=actor_step,
                      target_update=target_update, train_op=train_op, stats=stats)

    def _tower(self, tower: int):
        """Tower ``tower``'s name scope (none for one tower: the graph of a single update)
        and device (the ``tower``-th of ``devices``, modulo their number, when there are several)."""
        if self.config.towers == 1:
            return contextlib.nullcontext()
        stack = contextlib.ExitStack()
        stack.enter_context(tf1.name_scope(f"tower_{tower}"))
        if len(self.devices) > 1:
            stack.enter_context(tf.device(self.devices[tower % len(self.devices)]))
        return stack

    def _policy(self, actor, states):
        """``mu(states)`` [N,A]: the actor's output squashed into the env's bounds."""
        return networks.squash(actor(states), self.action_low, self.action_high)

    def _q(self, critic, s, a):
        """``critic(s, a)`` [N,1] for actions ``a`` [N,A] in the env's units, which the critic
        takes as they are (``critic_action_units`` "env") or as ``(a - centre) / half_range``
        in [-1, 1] ("unit": SB3's critic, fed its replay buffer's scaled actions)."""
        if self.config.critic_action_units == "unit":
            a = networks.to_unit(a, self.action_low, self.action_high)
        return critic(s, a)

    def _soft_update(self, pairs, after):
        """``theta' <- theta' - tau (theta' - theta)`` for each (online, target) pair, after
        the ops ``after``."""
        tau = tf.constant(self.config.tau, pairs[0][1].dtype.base_dtype, name="tau")
        with tf.control_dependencies(after):
            return tf.group(*[t.assign_sub(tau * (t.read_value() - m.read_value()), read_value=False)
                              for m, t in pairs])

    def _update_loop(self, batches: Batch):
        """``tf.while_loop`` over the K stacked batches, each iteration the ordered update on
        batch k, starting once the previous one's writes are done and after ``act_mu`` and
        ``act_q`` have been read. Returns an op that ends with the loop and the stats averaged
        over the K updates (max Q: the maximum)."""
        steps = self.config.updates_per_round
        dtype = batches.s.dtype
        with tf.control_dependencies([self.update.act_mu, self.update.act_q]):
            start = tf.identity(tf.constant(0), name="first_update")  # waits for the act fetch

        def body(k, sums, q_max):
            update = self.ordered_update(batches.map(lambda t: t[k]), None)
            actor_loss, td_loss, q_mean, batch_q_max = update.stats
            with tf.control_dependencies([update.train_op]):  # the next iteration reads after
                return (k + 1, [tf.identity(x + y) for x, y in zip(sums, (actor_loss, td_loss, q_mean))],
                        tf.identity(tf.maximum(q_max, batch_q_max)))

        zero = tf.zeros([], dtype)
        with tf1.name_scope("update_loop"):
            _, sums, q_max = tf1.while_loop(lambda k, *_: k < steps, body,
                                            (start, [zero, zero, zero], tf.constant(dtype.min, dtype)),
                                            parallel_iterations=1, back_prop=False)
            means = [x / steps for x in sums]
            return tf.group(*sums, q_max), (means[0], means[1], means[2], q_max)


def _split(batch: Batch, towers: int) -> List[Batch]:
    """``batch`` cut into ``towers`` equal parts along the rows (itself, for one)."""
    if towers == 1:
        return [batch]
    with tf1.name_scope("split"):
        split = batch.map(lambda t: tf.split(t, towers, name=t.op.name.split("/")[-1]))
        return [split.map(lambda parts: parts[i]) for i in range(towers)]


def _done(ops) -> tf.Tensor:
    """True, once ``ops`` have run (a branch of ``tf.cond`` returns a tensor)."""
    with tf.control_dependencies(list(ops)):
        return tf.constant(True)


def _whole_batch(towers: List[dict]) -> dict:
    """The towers' ``Update`` fields as the whole batch's: the act rows from tower 0 (the one
    fed ``obs``), the losses and each variable's gradient averaged (over equal parts, the
    whole batch's), every other tensor's rows joined in batch order. One tower: itself."""
    if len(towers) == 1:
        return towers[0]
    whole = {}
    for name, values in towers[0].items():
        parts = [t[name] for t in towers]
        if values is None or name in ("act_mu", "act_q"):
            whole[name] = values
        elif name.endswith("_loss"):
            whole[name] = tf.add_n(parts) / float(len(parts))
        elif name.endswith("_grads"):
            whole[name] = [tf.add_n(list(g)) / float(len(g)) for g in zip(*parts)]
        else:
            whole[name] = tf.concat(parts, 0)
    return whole


def _pairs(online, target):
    """(online variable, target variable) pairs of two networks of the same architecture."""
    assert [v.shape.as_list() for v in online] == [v.shape.as_list() for v in target]
    return list(zip(online, target))
