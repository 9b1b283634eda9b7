"""DDPG and TD3's update in numpy, by hand (forward, backward, PyTorch's Adam, soft updates):
the independent arithmetic the graph's updates are checked against.

Networks as ``critic_action_input="concat"`` builds them: ReLU hidden layers, the actor's
output ``centre + half_range * tanh``, the critic's ``[s, a]`` at its input. Weights are a
dict under the graph's variable names (``main/pi/l0/w``, ``target/q2/out/b``, ...). The
update follows SB3's TD3 order: count the update, the critic step (both critics, one loss),
then every ``policy_delay``-th update the actor's step on the updated critic and both soft
updates.
"""
import numpy as np

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8  # Adam's defaults (PyTorch's and tf.compat.v1's)


def layer_names(scope, hidden):
    return [f"{scope}/l{i}" for i in range(len(hidden))] + [f"{scope}/out"]


def forward(w, scope, x, hidden):
    """The MLP's output and each layer's (input, pre-activation) for the backward pass."""
    cache, h = [], x
    for i, name in enumerate(layer_names(scope, hidden)):
        z = h @ w[f"{name}/w"] + w[f"{name}/b"]
        cache.append((h, z))
        h = np.maximum(z, 0) if i < len(hidden) else z
    return h, cache


def backward(w, scope, cache, d_out, hidden, grads):
    """Adds the weights' gradients of ``sum(d_out * out)`` to ``grads``; returns d/d input."""
    d = d_out
    for i, name in reversed(list(enumerate(layer_names(scope, hidden)))):
        h, z = cache[i]
        if i < len(hidden):
            d = d * (z > 0)
        grads[f"{name}/w"] = grads.get(f"{name}/w", 0) + h.T @ d
        grads[f"{name}/b"] = grads.get(f"{name}/b", 0) + d.sum(0)
        d = d @ w[f"{name}/w"].T
    return d


class NumpyTD3:
    """The update of a ``Config`` with ``critic_action_input="concat"``, ``activation="relu"``,
    ``optimizer="torch_adam"``, env-unit critic actions, on weights ``w``."""

    def __init__(self, config, weights, low, high):
        self.c, self.w = config, {k: np.array(v, np.float64) for k, v in weights.items()}
        self.low, self.high = np.asarray(low, np.float64), np.asarray(high, np.float64)
        self.centre, self.half = (self.high + self.low) / 2, (self.high - self.low) / 2
        self.critics = ["q", "q2"] if config.twin_critics else ["q"]
        self.adam = {"pi": {"t": 0}, "q": {"t": 0}}  # per optimiser: step count, m and v by name
        self.n_updates = 0

    def actor(self, scope, s):
        pre, cache = forward(self.w, scope, s, self.c.actor_hidden)
        unit = np.tanh(pre)
        return self.centre + self.half * unit, (cache, unit)

    def critic(self, scope, s, a):
        return forward(self.w, scope, np.concatenate([s, a], 1), self.c.critic_hidden)

    def target_action(self, s2, eps):
        a2, _ = self.actor("target/pi", s2)
        if self.c.target_noise > 0:
            clip = self.c.target_noise_clip
            a2 = np.clip(a2 + self.half * np.clip(eps, -clip, clip), self.low, self.high)
        return a2

    def update(self, batch):
        c, w = self.c, self.w
        s, a, r, done, s2 = (batch[k] for k in ("s", "a", "r", "done", "s2"))
        n = len(s)
        self.n_updates += 1
        a2 = self.target_action(s2, batch.get("eps"))
        q_targ = np.min([self.critic(f"target/{k}", s2, a2)[0] for k in self.critics], axis=0)
        y = r + c.gamma * (1 - done) * q_targ
        grads = {}
        for k in self.critics:  # the sum of the critics' MSEs
            q, cache = self.critic(f"main/{k}", s, a)
            backward(w, f"main/{k}", cache, 2 * (q - y) / n, c.critic_hidden, grads)
        self.step("q", grads, c.critic_lr)
        if self.n_updates % c.policy_delay:
            return
        mu, (actor_cache, unit) = self.actor("main/pi", s)
        _, cache = self.critic("main/q", s, mu)  # the first critic, after its step
        d_input = backward(w, "main/q", cache, -np.ones((n, 1)) / n, c.critic_hidden, {})
        d_mu = d_input[:, s.shape[1]:]
        grads = {}
        backward(w, "main/pi", actor_cache, d_mu * self.half * (1 - unit ** 2), c.actor_hidden, grads)
        self.step("pi", grads, c.actor_lr)
        for name in list(w):
            if name.startswith("target/"):
                online = w["main/" + name[len("target/"):]]
                w[name] = w[name] - c.tau * (w[name] - online)

    def step(self, network, grads, lr):
        """PyTorch's Adam on the grads of one optimiser's variables."""
        state = self.adam[network]
        state["t"] += 1
        t = state["t"]
        for name, g in grads.items():
            m = state.setdefault(("m", name), np.zeros_like(g))
            v = state.setdefault(("v", name), np.zeros_like(g))
            m[...] = BETA1 * m + (1 - BETA1) * g
            v[...] = BETA2 * v + (1 - BETA2) * g * g
            denominator = np.sqrt(v) / np.sqrt(1 - BETA2 ** t) + EPS
            self.w[name] -= lr / (1 - BETA1 ** t) * m / denominator
