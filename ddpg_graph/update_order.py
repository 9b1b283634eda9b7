"""The update orders of the tutorials that did not follow the paper, as control dependencies.

The paper (and Emami, Spinning Up, SB3) updates the critic, then the actor on the updated
critic, then the targets: ``graph.DDPGGraph.build_update`` writes that order inline. Two
tutorials ran the three steps in another order, and their presets reproduce it:

- Morvan's ``DDPG_update.py`` runs ``soft_replace``, then ``atrain``, then ``ctrain``:
  ``update_order="targets,actor,critic"`` (the TD target reads the targets just updated; the
  actor learns from the critic before its step);
- the TF2 GradientTape article updates the actor, then the critic, then the targets:
  ``update_order="actor,critic,targets"``.

For such an order the update is built without ordering and ``apply`` adds, for each step X
before a step Y, only what the math needs: Y's reads of what X writes wait for X's writes
(read after write), and Y's writes of what X reads wait for X's reads (write after read).
The main forward passes feed both steps' gradients, so they come first in every order.
"""
from __future__ import annotations

from typing import List, NamedTuple

import tensorflow as tf

from .config import PAPER_ORDER

tf1 = tf.compat.v1

PAPER = PAPER_ORDER
STEPS = ("critic", "actor", "targets")


class Access(NamedTuple):
    """What one step does to a set of variables: ``ops`` touch them (reads or writes);
    ``done`` is the tensor or op after which they are all done."""
    variables: list
    ops: List[tf.Operation]
    done: object


def apply(update, order: str, net) -> None:
    """Orders the unordered ``update`` (a ``graph.Update``) of ``net`` by ``order``."""
    reads, writes = _accesses(update, net)
    steps = order.split(",")
    for i, first in enumerate(steps):
        for then in steps[i + 1:]:
            for written in writes[first]:  # read after write
                for read in reads[then]:
                    _wait(read.ops, written.variables, written.done)
            for read in reads[first]:  # write after read
                for written in writes[then]:
                    _wait(written.ops, read.variables, read.done)


def _accesses(u, net):
    """Each step's reads and writes of variables another step writes or reads: the TD
    target reads the targets, the actor's loss the critic, the soft updates the online
    networks; the optimisers write the online networks, the soft updates the targets."""
    target_actor_vars = [t for _, t in net.actor_pairs]
    target_critic_vars = [t for _, t in net.critic_pairs]
    groups = u.target_update.control_inputs  # the two soft updates, one per network
    pi_update = next(g for g in groups if _ops(g, "AssignSubVariableOp", target_actor_vars))
    q_update = next(g for g in groups if g is not pi_update)
    reads = {
        "critic": [Access(net.target_vars, _ops(u.y, "ReadVariableOp", net.target_vars), u.y)],
        "actor": [Access(net.critic_vars, _ops(u.q_mu, "ReadVariableOp", net.critic_vars), u.q_mu)],
        "targets": [Access(net.actor_vars, _ops(pi_update, "ReadVariableOp", net.actor_vars), pi_update),
                    Access(net.critic_vars, _ops(q_update, "ReadVariableOp", net.critic_vars), q_update)],
    }
    writes = {
        "critic": [Access(net.critic_vars, _ops(u.critic_step, "ResourceApply", net.critic_vars),
                          u.critic_step)],
        "actor": [Access(net.actor_vars, _ops(u.actor_step, "ResourceApply", net.actor_vars),
                         u.actor_step)],
        "targets": [Access(target_actor_vars, _ops(pi_update, "AssignSubVariableOp", target_actor_vars),
                           pi_update),
                    Access(target_critic_vars, _ops(q_update, "AssignSubVariableOp", target_critic_vars),
                           q_update)],
    }
    return reads, writes


def _ops(end, op_type: str, variables) -> List[tf.Operation]:
    """The ops of ``op_type`` (a prefix) upstream of ``end`` that take one of ``variables``
    as their first input: the reads or writes of those variables that ``end`` waits for."""
    handles = _handles(variables)
    found, seen, stack = [], set(), [end if isinstance(end, tf.Operation) else end.op]
    while stack:
        op = stack.pop()
        if op.type.startswith(op_type) and op.inputs and op.inputs[0].ref() in handles:
            found.append(op)
        for parent in [t.op for t in op.inputs] + list(op.control_inputs):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return found


def _handles(variables) -> set:
    """The variables' resource handles as this graph sees them: inside a while loop's body
    (a function graph) a variable's handle is the body's capture of the outer one."""
    handles = {v.handle.ref() for v in variables}
    for outer, inner in getattr(tf1.get_default_graph(), "captures", ()):
        if outer.ref() in handles:
            handles.add(inner.ref())
    return handles


def _wait(ops, variables, done) -> None:
    """``ops`` that touch one of ``variables`` run only after ``done``."""
    handles = _handles(variables)
    after = done if isinstance(done, tf.Operation) else done.op
    for op in ops:
        if op.inputs[0].ref() in handles:
            op._add_control_inputs([after])  # (tf.control_dependencies, for an op built already)
