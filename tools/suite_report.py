"""The suite's report, made with rliable (Agarwal et al. 2021) from ``curves.csv``.

A trial's score is its last evaluation (the protocol's mean return at the plan's last step);
only finished trials count. Per env: each library's IQM with a 95% stratified-bootstrap
confidence interval, and P(ddpg_graph > peer) with its interval. Over envs: scores
normalized so that 0 is a uniformly random policy (evaluated by the same protocol) and 1 the
best library's mean on that env, on the seeds every env finished for every library; IQM,
median and mean with their intervals, P(ddpg_graph > peer), performance profiles. Curves:
the median over seeds at each evaluation, with its 95% bootstrap band. Overestimation (from
``overestimation.csv``): each critic's Q(s0, π(s0)) against the discounted return, as a table
at the last evaluation and as curves.
"""
from __future__ import annotations

import contextlib
import csv
import json
import os
import warnings
from collections import defaultdict

import numpy as np

OURS = "ddpg_graph"
REPS = 2000
SEED = 0  # the bootstrap's own generator: the same report from the same curves


def _curves(out: str, plan: dict):
    """``{env: {library: {seed: [(step, return), ...]}}}`` of the finished trials."""
    finished = set()
    with open(os.path.join(out, "trials.csv"), newline="") as f:
        for row in csv.DictReader(f):
            if row["status"] == "finished":
                finished.add((row["env"], row["library"], int(row["seed"])))
    curves = defaultdict(lambda: defaultdict(dict))
    with open(os.path.join(out, "curves.csv"), newline="") as f:
        for row in csv.DictReader(f):
            key = (row["env"], row["library"], int(row["seed"]))
            if key in finished:
                curves[key[0]][key[1]].setdefault(key[2], []).append(
                    (int(row["step"]), float(row["return"])))
    return curves


def random_score(env_id: str) -> float:
    """The protocol's return of a uniformly random policy (its own seeded action space)."""
    from suite import evaluate
    import gymnasium as gym
    space = gym.make(env_id).action_space
    space.seed(0)
    return evaluate(lambda obs: space.sample(), env_id).ret


@contextlib.contextmanager
def _seeded_numpy():
    """NumPy's global generator seeded with ``SEED`` inside, and given back as it was after.
    rliable 1.2's bootstraps draw their resampling indices with ``np.random.choice`` (their
    ``update_indices``) whatever ``random_state`` they are given, and its performance
    profiles likewise: without this, the same curves gave other confidence intervals."""
    state = np.random.get_state()
    np.random.seed(SEED)
    try:
        yield
    finally:
        np.random.set_state(state)


def _interval(scores: dict, func):
    from rliable import library as rly
    with warnings.catch_warnings(), _seeded_numpy():
        warnings.simplefilter("ignore", FutureWarning)  # (arch: random_state is deprecated)
        return rly.get_interval_estimates(scores, func, reps=REPS,
                                          random_state=np.random.RandomState(SEED))


def _improvement(x, y):
    from rliable import metrics
    return np.array([metrics.probability_of_improvement(x, y)])


def report(out: str, plan: dict) -> str:
    """Writes ``report.md``, ``curves.png``, ``overestimation.png``, ``aggregate.png`` and
    ``profiles.png`` in ``out``; returns the markdown."""
    from rliable import metrics
    curves = _curves(out, plan)
    columns = list(plan["libraries"]) + list(plan["variants"])
    peers = [c for c in columns if c != OURS]
    envs = [e for e in plan["envs"] if e in curves]
    lines = [f"Suite: preset `{plan['preset']}`, {plan['steps']:,} env steps, evaluation every "
             f"{plan['eval_every']:,} steps (10 deterministic episodes, the same reset seeds for "
             "every library); score = the last evaluation; 95% stratified-bootstrap CIs "
             f"({REPS} resamples).", "",
             "| env | library | seeds | IQM [95% CI] | mean | P(ddpg_graph > it) [95% CI] |",
             "| --- | --- | --- | --- | --- | --- |"]
    finals = {}
    for env in envs:
        finals[env] = {lib: {seed: rows[-1][1] for seed, rows in curves[env][lib].items()
                             if rows and rows[-1][0] == plan["steps"]}
                       for lib in columns if lib in curves[env]}
        scores = {lib: np.array(list(v.values()))[:, None] for lib, v in finals[env].items() if v}
        if not scores:
            continue
        iqm, iqm_ci = _interval(scores, lambda x: np.array([metrics.aggregate_iqm(x)]))
        for lib in columns:
            if lib not in scores:
                continue
            p_text = ""
            if lib != OURS and OURS in scores:
                p, p_ci = _interval({"p": [scores[OURS], scores[lib]]}, _improvement)
                p_text = f"{p['p'][0]:.2f} [{p_ci['p'][0][0]:.2f}, {p_ci['p'][1][0]:.2f}]"
            lines.append(f"| {env} | {lib} | {len(scores[lib])} | {iqm[lib][0]:.0f} "
                         f"[{iqm_ci[lib][0][0]:.0f}, {iqm_ci[lib][1][0]:.0f}] | "
                         f"{scores[lib].mean():.0f} | {p_text} |")
    _plot_curves(out, curves, envs, columns)
    overestimation = _overestimation(out, plan, curves, envs, columns)

    # aggregate: normalized scores on the seeds finished on every env by every library
    common = sorted(set.intersection(*[set(finals[e].get(lib, {})) for e in envs for lib in columns])
                    ) if envs else []
    if envs and common:
        randoms = {env: random_score(env) for env in envs}
        best = {env: max(np.mean(list(finals[env][lib].values())) for lib in columns) for env in envs}
        normalized = {lib: np.array([[(finals[env][lib][s] - randoms[env]) / (best[env] - randoms[env])
                                      for env in envs] for s in common]) for lib in columns}
        aggregate = lambda x: np.array([metrics.aggregate_iqm(x), metrics.aggregate_median(x),  # noqa: E731
                                        metrics.aggregate_mean(x)])
        point, ci = _interval(normalized, aggregate)
        lines += ["", f"Over {len(envs)} envs, seeds {common[0]}–{common[-1]} "
                  f"({len(common)}), normalized (0: a random policy, 1: the best library's mean "
                  "on the env; random: " + ", ".join(f"{e} {randoms[e]:.0f}" for e in envs) + "):",
                  "", "| library | IQM [95% CI] | median | mean |", "| --- | --- | --- | --- |"]
        for lib in columns:
            lines.append(f"| {lib} | {point[lib][0]:.2f} [{ci[lib][0][0]:.2f}, {ci[lib][1][0]:.2f}] | "
                         f"{point[lib][1]:.2f} | {point[lib][2]:.2f} |")
        for lib in peers:
            p, p_ci = _interval({"p": [normalized[OURS], normalized[lib]]}, _improvement)
            lines.append(f"\nP(ddpg_graph > {lib}) over the envs: {p['p'][0]:.2f} "
                         f"[{p_ci['p'][0][0]:.2f}, {p_ci['p'][1][0]:.2f}]")
        _plot_aggregate(out, point, ci, normalized, columns)
    text = "\n".join(lines + overestimation) + "\n"
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(finals, f, indent=1)
    return text


def _plot_per_env(out: str, name: str, envs, draw, ylabel: str) -> None:
    """``name`` in ``out``: one panel per env, ``draw(ax, env)`` filling each."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    if not envs:
        return
    fig, axes = plt.subplots(1, len(envs), figsize=(4.2 * len(envs), 3.4), squeeze=False)
    for ax, env in zip(axes[0], envs):
        draw(ax, env)
        ax.set_title(env)
        ax.set_xlabel("env steps")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(ylabel)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, name), dpi=90)
    plt.close(fig)


def _median_band(runs):
    """Steps, and the median over seeds at each evaluation with its 95% bootstrap band, of
    ``runs`` (one ``[(step, value), ...]`` per seed), cut to the shortest."""
    length = min((len(r) for r in runs), default=0)
    if not length:
        return None
    steps = [s for s, _ in runs[0][:length]]
    values = np.array([[v for _, v in r[:length]] for r in runs])  # [seeds, evaluations]
    scores = {str(i): values[:, i:i + 1] for i in range(length)}
    # (rliable's aggregate_median is the median over tasks of each task's mean over runs: of
    # one task, the mean over seeds; this is the median over seeds)
    point, ci = _interval(scores, lambda x: np.array([np.median(x)]))
    return (steps, [point[str(i)][0] for i in range(length)],
            [ci[str(i)][0][0] for i in range(length)], [ci[str(i)][1][0] for i in range(length)])


def _plot_curves(out, curves, envs, columns) -> None:
    """Median over seeds at each evaluation, with its 95% bootstrap band, per env."""
    def draw(ax, env):
        for lib in columns:
            runs = list(curves[env].get(lib, {}).values())
            band = _median_band(runs)
            if band:
                ax.plot(band[0], band[1], label=f"{lib} ({len(runs)} seeds)")
                ax.fill_between(band[0], band[2], band[3], alpha=0.2)
    _plot_per_env(out, "curves.png", envs, draw, "evaluation return (median, 95% CI)")


def _overestimation(out: str, plan: dict, curves, envs, columns) -> list:
    """The table of the critics' overestimation at the last evaluation, and
    ``overestimation.png``: per env and library, the median over seeds of Q(s0, pi(s0))
    (solid) and of the discounted return from s0 (dashed), with 95% bands."""
    path = os.path.join(out, "overestimation.csv")
    if not os.path.exists(path):
        return []
    values = defaultdict(lambda: defaultdict(dict))  # env -> library -> seed -> rows
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["env"], row["library"], int(row["seed"]))
            if key[2] in curves.get(key[0], {}).get(key[1], {}):  # finished trials only
                values[key[0]][key[1]].setdefault(key[2], []).append(
                    (int(row["step"]), float(row["q_s0"]), float(row["discounted_return"])))
    lines = ["", "The critics' overestimation at the last evaluation: Q(s0, π(s0)) at the "
             "evaluation episodes' first states against their discounted returns (γ of the "
             "preset), means over the episodes, then over seeds (± the standard deviation "
             "over seeds of the difference):", "",
             "| env | library | seeds | Q(s0) | discounted return | Q(s0) − return |",
             "| --- | --- | --- | --- | --- | --- |"]
    for env in envs:
        for lib in columns:
            last = [rows[-1] for rows in values[env].get(lib, {}).values()
                    if rows and rows[-1][0] == plan["steps"]]
            if not last:
                continue
            q, g = np.array([r[1] for r in last]), np.array([r[2] for r in last])
            lines.append(f"| {env} | {lib} | {len(last)} | {q.mean():.1f} | {g.mean():.1f} | "
                         f"{(q - g).mean():+.1f} ± {(q - g).std():.1f} |")

    def draw(ax, env):
        for i, lib in enumerate(columns):
            runs = list(values[env].get(lib, {}).values())
            color = f"C{i}"
            for column, style, what in ((1, "-", "Q(s0)"), (2, "--", "return")):
                band = _median_band([[(r[0], r[column]) for r in rows] for rows in runs])
                if band:
                    ax.plot(band[0], band[1], style, color=color, label=f"{lib} {what}")
                    ax.fill_between(band[0], band[2], band[3], color=color, alpha=0.12)
    _plot_per_env(out, "overestimation.png", envs, draw,
                  "Q(s0) (solid) and discounted return (dashed)")
    return lines


def _plot_aggregate(out, point, ci, normalized, columns) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from rliable import library as rly, plot_utils
    fig, _ = plot_utils.plot_interval_estimates(point, ci, metric_names=["IQM", "Median", "Mean"],
                                                algorithms=columns, xlabel="normalized score")
    fig.savefig(os.path.join(out, "aggregate.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)
    taus = np.linspace(-0.25, 1.25, 61)
    with _seeded_numpy():
        profiles, profile_cis = rly.create_performance_profile(normalized, taus, reps=REPS)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    plot_utils.plot_performance_profiles(profiles, taus, performance_profile_cis=profile_cis,
                                         ax=ax, xlabel=r"normalized score $\tau$")
    ax.legend(columns)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "profiles.png"), dpi=90)
    plt.close(fig)
