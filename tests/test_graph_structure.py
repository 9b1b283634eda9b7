"""The graph as a reader sees it: how often each network is built, how many optimiser
applies, which ops wait for which, and that no display setting changes it."""
import numpy as np
import pytest

from conftest import make_agent


def forward_builds(graph, variable):
    """Forward passes through ``variable``'s layer: MatMuls taking its value untransposed as
    their right operand (backprop takes it transposed; weight gradients do not read it)."""
    return sum(1 for op in graph.get_operations()
               if op.type == "MatMul" and not op.get_attr("transpose_b")
               and op.inputs[1].op.type == "ReadVariableOp"
               and op.inputs[1].op.inputs[0].name == variable.handle.name)


def graph_counts(agent):
    """Forward builds of the actor and the critic (main and target together), optimiser apply
    ops and trainable variables in ``agent``'s graph."""
    net, graph = agent.net, agent.graph
    target_critic_first = net.target_vars[len(net.actor_vars)]
    return {"actor builds": forward_builds(graph, net.actor_vars[0]) + forward_builds(graph, net.target_vars[0]),
            "critic builds": (forward_builds(graph, net.critic_vars[0])
                              + forward_builds(graph, target_critic_first)),
            "optimiser applies": sum(op.type.startswith("ResourceApply") for op in graph.get_operations()),
            "trainable variables": len(net.actor_vars + net.critic_vars)}


def upstream(op):
    """The names of every op that runs before ``op``: data and control inputs, transitively."""
    seen, stack = set(), [op]
    while stack:
        current = stack.pop()
        for parent in [t.op for t in current.inputs] + list(current.control_inputs):
            if parent.name not in seen:
                seen.add(parent.name)
                stack.append(parent)
    return seen


@pytest.mark.parametrize("preset_like", [dict(), dict(critic_action_input="concat")])
def test_default_graph_builds_each_network_at_most_as_the_math_needs(preset_like):
    counts = graph_counts(make_agent(**preset_like))
    print("\ndefault graph:", counts)
    assert counts["actor builds"] == 2  # main on [s; obs] and target on s2
    assert counts["critic builds"] == 3  # Q(s, a) with Q(obs, mu(obs)), Q'(s2, .), Q(s, mu) after the critic step
    assert counts["optimiser applies"] == counts["trainable variables"]


def test_the_extend_graph_hook_adds_its_ops_and_no_others():
    plain, with_steps = graph_counts(make_agent()), graph_counts(make_agent(step_ops=True))
    assert with_steps["optimiser applies"] == 2 * plain["optimiser applies"]
    assert with_steps["critic builds"] > plain["critic builds"]


def test_no_display_setting_changes_the_graph():
    def structure(agent):
        return [(op.name, op.type, [t.name for t in op.inputs]) for op in agent.graph.get_operations()]
    assert structure(make_agent(scope="off")) == structure(make_agent(scope="file"))


def test_only_the_ordering_the_math_needs():
    net = make_agent().net
    writes = {op.name for op in net.update.train_op.graph.get_operations()
              if op.type.startswith("ResourceApply") or op.type == "AssignSubVariableOp"}
    critic_writes = {n for n in writes if n in upstream(net.update.critic_step) | {net.update.critic_step.name}
                     and "critic_step" in n}
    assert critic_writes
    # the main passes, the target path and the TD target wait for no write
    for tensor in (net.update.mu, net.update.q, net.update.act_mu, net.update.act_q, net.update.q_targ, net.update.y):
        assert not upstream(tensor.op) & writes, tensor.name
    # the actor step reads the critic after the critic step ...
    assert critic_writes <= upstream(net.update.q_mu.op)
    # ... and each target's update follows its own network's step, not the other's
    updates = [op for op in net.update.train_op.graph.get_operations() if op.type == "AssignSubVariableOp"]
    for op in updates:
        target = op.inputs[0].op.name
        before = upstream(op)
        if target.startswith("target/q"):
            assert critic_writes <= before and not any("actor_step" in n for n in before), target
        else:
            assert any("actor_step" in n for n in before), target
    assert len(updates) == len(net.target_vars)


def test_act_alone_and_train_alone_feed_only_their_inputs(rng):
    agent = make_agent()
    obs = rng.standard_normal((5, 3))
    assert agent.act(obs).shape == (5, 2)  # no batch fed: the batch defaults to no rows
    before = agent.get_weights()
    agent.act_with_q(obs[0])
    after = agent.get_weights()
    for name in before:  # acting never trains
        np.testing.assert_array_equal(before[name], after[name])
    net = agent.net
    assert [t.op.type for t in (net.s, net.a, net.obs)] == ["PlaceholderWithDefault"] * 3
