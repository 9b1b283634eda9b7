"""Every hyperparameter of a run, validated on construction, and the presets as data.

A preset is a dict of overrides on the defaults below: a tutorial's reproduction is a
table row, not a script. ``Config.from_preset("emami", seed=3)`` builds one;
``parse_overrides(["tau=0.01"])`` turns CLI ``--set`` strings into typed overrides.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Tuple

from .errors import ConfigError, UserError

# The registries: each enumeration of the config once, name -> what implements it. Validation
# takes the names from here, and the builders look their implementation up here.
# optimizers.py's names for tf.compat.v1.train's classes, and its PyTorch-form Adam (SB3's)
OPTIMIZERS = {"adam": "AdamOptimizer", "rmsprop": "RMSPropOptimizer", "torch_adam": "TorchAdam"}
ACTIVATIONS = {"relu": "relu", "elu": "elu", "tanh": "tanh"}  # tf.nn
NOISES = {"ou": "OrnsteinUhlenbeck", "gaussian": "DecayingGaussian", "emami_offset": "EmamiOffset",
          "pink": "PinkNoise", "canton": "CantonNoise", "none": "NoNoise"}  # noise.py classes
CRITIC_ACTION_INPUTS = ("second", "concat")
CRITIC_ACTION_UNITS = ("env", "unit")  # the action the critic sees: the env's, or in [-1, 1]
SCOPE_MODES = ("off", "window", "file")  # oscilloscope.ScopeSink's modes
VECTOR_MODES = {"sync": "SyncVectorEnv", "async": "AsyncVectorEnv"}  # gymnasium.vector classes
DTYPES = ("float32", "float64")
PAPER_ORDER = "critic,actor,targets"  # the paper's update order (update_order.PAPER)


def doc(default, meaning: str):
    """A ``Config`` field: its default and its one-line meaning (``python -m ddpg_graph config``
    prints them)."""
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata={"help": meaning})
    return field(default=default, metadata={"help": meaning})


@dataclass(frozen=True)
class Config:
    """One run's settings. Units: steps are environment steps, episodes are env episodes."""

    preset: str = doc("custom", "the preset these settings started from")
    env_id: str = doc("Pendulum-v0", "a Gymnasium id, gym:ID (old gym), package.module:ID, or object:... (given as an object)")
    env_kwargs: Dict[str, Any] = doc({}, "keyword arguments for the env's constructor (JSON); max_episode_steps sets its time limit")
    seed: int = doc(0, "seed of every random source (envs, noise, replay, warm-up, initial weights)")
    total_steps: int = doc(50_000, "env steps to train for")
    total_episodes: int = doc(0, "> 0: also stop after this many episodes")
    n_envs: int = doc(1, "training envs stepped together (a Gymnasium vector env); evaluation stays one env")
    vector_mode: str = doc("sync", "how the n_envs envs step: 'sync' (one after another in this process) or 'async' (one process each)")

    # networks
    actor_hidden: Tuple[int, ...] = doc((400, 300), "the actor's hidden layer widths")
    critic_hidden: Tuple[int, ...] = doc((400, 300), "the critic's hidden layer widths")
    critic_action_input: str = doc("second", "where the action enters the critic: 'second' (its 2nd layer, the paper's) or 'concat' (the input)")
    activation: str = doc("relu", "hidden activation: " + ", ".join(ACTIVATIONS))
    residual_blocks: int = doc(0, "> 0: canton's body, a linear layer then N residual blocks of the first width")
    final_init: float = doc(3e-3, "final layers drawn from U(-final_init, final_init); 0: U(+-1/sqrt(fan_in)) like the hidden layers (torch's nn.Linear default, SB3's)")
    critic_action_units: str = doc("env", "the actions the critic takes: 'env' (the env's units, the tutorials') or 'unit' (centred and scaled into [-1, 1], SB3's)")
    actor_model: str = doc("", "'package.module:function' making a tf_keras actor (pre-squash output) instead of the built-in")
    critic_model: str = doc("", "'package.module:function' making a tf_keras critic of [obs, action] -> Q")
    dtype: str = doc("float32", "float32 or float64: the graph's, the replay buffer's")

    # optimisation
    optimizer: str = doc("adam", "optimizer of both networks: " + ", ".join(OPTIMIZERS))
    actor_lr: float = doc(1e-4, "the actor's learning rate")
    critic_lr: float = doc(1e-3, "the critic's learning rate")
    gamma: float = doc(0.99, "discount factor")
    tau: float = doc(0.001, "soft target update rate: theta' <- tau theta + (1 - tau) theta'")
    batch_size: int = doc(64, "transitions per update")
    buffer_size: int = doc(1_000_000, "replay buffer capacity, in transitions")
    critic_l2: float = doc(0.0, "L2 weight decay on the critic's weight matrices (the paper: 1e-2)")
    reward_scale: float = doc(1.0, "rewards are multiplied by this before they enter the buffer")
    warmup_steps: int = doc(0, "uniform random actions for the first N steps")
    prefill_steps: int = doc(0, "random transitions stored before episode 0 (not in the history)")
    learning_starts: int = doc(64, "first update once the buffer holds this many (and a batch)")
    train_every: int = doc(1, "vector steps (env steps when n_envs is 1) between training rounds (SB3's train_freq)")
    gradient_steps: int = doc(0, "updates per training round, K > 1 in one session.run (a tf.while_loop); 0: n_envs, one per env step")

    # TD3's three fixes (Fujimoto et al. 2018), each off by default (off: the DDPG graph, op for op)
    twin_critics: bool = doc(False, "TD3: two critics; y takes the smaller target Q, the actor follows the first")
    target_noise: float = doc(0.0, "TD3: sigma of the Gaussian noise on the target action, in half action ranges (0: none)")
    target_noise_clip: float = doc(0.5, "TD3: that noise clipped to +-this, in half action ranges")
    policy_delay: int = doc(1, "TD3: the actor and both soft updates every d-th critic step")

    # exploration noise
    noise: str = doc("ou", "exploration noise: " + ", ".join(NOISES))
    noise_sigma: float = doc(0.3, "the noise's size (OU and Gaussian sigma, pink and canton level)")
    noise_theta: float = doc(0.15, "OU: mean reversion rate")
    noise_mu: float = doc(0.0, "OU: the mean it reverts to")
    noise_dt: float = doc(1.0, "OU: time step")
    noise_decay: float = doc(1.0, "Gaussian: sigma multiplied by this after every sample or update")
    noise_decay_on: str = doc("sample", "Gaussian: decay per 'sample' or per learning 'update'")
    noise_episode_decay: float = doc(1.0, "pink, canton: sigma multiplied by this every episode")
    noise_relative: bool = doc(False, "noise in units of half the action range")

    # the tutorials' quirks, each off by default (see the README's quirk table)
    update_order: str = doc(PAPER_ORDER, "order of the update's steps (Morvan: targets,actor,critic; the TF2 article: actor,critic,targets)")
    train_at_episode_end: bool = doc(False, "TF2 article: no per-step updates; after each episode, as many updates as it had steps")
    ignore_done: bool = doc(False, "Morvan: store every transition as non-terminal")
    terminal_reward: float = doc(0.0, "Keras notebook: > 0 rewrites an episode's last reward to +this if its return > 0, else -this")
    bootstrap_on_terminal: bool = doc(False, "Keras notebook: y = r + gamma * done * Q' (sic)")

    # evaluation and checkpoints, in env steps so that short episodes do not multiply them:
    # each runs at the end of the episode in which the step count crosses a multiple of N
    # (Pendulum's 200-step episodes: 2000 = every 10 episodes); 0 turns it off
    eval_every_steps: int = doc(2000, "a noise-free evaluation every N env steps (at an episode's end; 0: never)")
    eval_episodes: int = doc(5, "episodes per evaluation")
    checkpoint_every_steps: int = doc(2000, "a checkpoint every N env steps (at an episode's end; 0: only at the run's end)")

    # oscilloscope
    scope: str = doc("off", "the oscilloscope of actions, noise and Q: off, window or file")
    scope_every: int = doc(20, "env steps per oscilloscope frame")
    scope_png_every: int = doc(0, "file mode: a PNG snapshot every N steps (0: only the last)")

    # engine
    intra_op_threads: int = doc(1, "TensorFlow threads inside one op (0: TensorFlow's choice)")
    inter_op_threads: int = doc(1, "TensorFlow ops run side by side (0: TensorFlow's choice)")
    device: str = doc("auto", "where the graph runs: auto, cpu, gpu:0, ...; several (gpu:0,gpu:1): one per tower")
    towers: int = doc(1, "the batch cut in T equal parts whose gradients are computed side by side, then averaged")
    matmul_precision: str = doc("float32", "'bfloat16': oneDNN's auto mixed precision for CPU matmuls")

    @property
    def updates_per_round(self) -> int:
        """Updates per training round: ``gradient_steps``, or one per env of the vector step
        when it is 0 (the update-to-data ratio of one env, whatever ``n_envs``)."""
        return self.gradient_steps or self.n_envs

    @classmethod
    def describe(cls) -> Dict[str, str]:
        """Each key's one-line meaning."""
        return {f.name: f.metadata["help"] for f in dataclasses.fields(cls)}

    def __post_init__(self):
        try:
            object.__setattr__(self, "actor_hidden", tuple(int(w) for w in self.actor_hidden))
            object.__setattr__(self, "critic_hidden", tuple(int(w) for w in self.critic_hidden))
            object.__setattr__(self, "env_kwargs", dict(self.env_kwargs))
        except (TypeError, ValueError):
            raise ConfigError("actor_hidden and critic_hidden must be lists of integers and "
                              "env_kwargs a mapping") from None
        _validate(self)

    # -- construction ---------------------------------------------------------------
    @classmethod
    def from_preset(cls, name: str, **overrides) -> "Config":
        if name not in PRESETS:
            raise UserError(f"unknown preset {name!r}; choose one of: {', '.join(sorted(PRESETS))}")
        values = dict(PRESETS[name], preset=name)
        values.update(overrides)
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, values: Dict[str, Any]) -> "Config":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown config key {unknown[0]!r}{_did_you_mean(unknown[0], known)}")
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:  # a value of the wrong kind for its key
            raise ConfigError(f"invalid config: {exc}") from None

    def to_dict(self) -> Dict[str, Any]:
        values = dataclasses.asdict(self)
        values["actor_hidden"] = list(self.actor_hidden)
        values["critic_hidden"] = list(self.critic_hidden)
        return values

    def replace(self, **overrides) -> "Config":
        values = self.to_dict()
        values.update(overrides)
        return Config.from_dict(values)

    def save(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump(self.to_dict(), f, indent=2, sort_keys=True)

    @classmethod
    def load(cls, path: str, fill_from_preset: bool = False) -> "Config":
        """The config saved at ``path``. A key the file lacks takes its default, as when the
        run that saved it was made (a run's ``config.json``); ``fill_from_preset``: from the
        preset the file names instead (a file a user wrote or cut down), or, when it names
        none, is one line listing the missing keys."""
        try:
            with open(path) as f:
                values = json.load(f)
        except FileNotFoundError:
            raise UserError(f"no config at {path}") from None
        except (OSError, ValueError) as exc:
            raise UserError(f"unreadable config {path}: {exc}") from None
        if not isinstance(values, dict):
            raise UserError(f"unreadable config {path}: not a JSON object")
        missing = sorted({f.name for f in dataclasses.fields(cls)} - set(values) - {"preset"})
        if fill_from_preset and missing:
            preset = values.get("preset")
            if preset not in PRESETS:
                raise ConfigError(f"{path} lacks {', '.join(missing)} and names no preset to take "
                                  "them from")
            return cls.from_preset(preset, **{k: v for k, v in values.items() if k != "preset"})
        return cls.from_dict(values)


MAX_BUFFER_SIZE = 100_000_000  # transitions; 1e8 Pendulum ones are ~3 GB in float32
# training envs: each is stepped every vector step and pickled into every checkpoint (async: a
# process each); 256 MuJoCo envs hold ~0.5 GB and write 512 files per checkpoint
MAX_N_ENVS = 256


def _validate(c: Config) -> None:
    def need(ok: bool, message: str) -> None:
        if not ok:
            raise ConfigError(message)

    for f in dataclasses.fields(c):  # types first: a config file may hold anything
        value, default = getattr(c, f.name), f.default
        if isinstance(default, bool):
            need(isinstance(value, bool), f"{f.name} must be true or false, got {value!r}")
        elif isinstance(default, int):
            need(isinstance(value, int) and not isinstance(value, bool),
                 f"{f.name} must be an integer, got {value!r}")
        elif isinstance(default, float):
            need(isinstance(value, (int, float)) and not isinstance(value, bool)
                 and math.isfinite(value), f"{f.name} must be a finite number, got {value!r}")
        elif isinstance(default, str):
            need(isinstance(value, str), f"{f.name} must be a string, got {value!r}")
    need(c.preset in PRESETS or c.preset == "custom",
         f"unknown preset {c.preset!r}; choose one of: {', '.join(sorted(PRESETS))}")
    need(c.seed >= 0, f"seed must be non-negative, got {c.seed}")
    need(c.buffer_size <= MAX_BUFFER_SIZE,
         f"buffer_size must be at most {MAX_BUFFER_SIZE:,}, got {c.buffer_size:,}")
    need(c.reward_scale != 0, "reward_scale must not be 0")
    need("render_mode" not in c.env_kwargs,
         "leave render_mode out of env_kwargs: training renders nothing, and videos ask for "
         "rgb_array themselves")
    steps = c.env_kwargs.get("max_episode_steps")
    need(steps is None or (isinstance(steps, int) and steps > 0),
         f"env_kwargs max_episode_steps must be a positive integer, got {steps!r}")

    need(c.total_steps > 0, f"total_steps must be positive, got {c.total_steps}")
    need(c.total_episodes >= 0, f"total_episodes must be non-negative, got {c.total_episodes}")
    need(c.prefill_steps >= 0, f"prefill_steps must be non-negative, got {c.prefill_steps}")
    need(c.noise_decay_on in ("sample", "update"),
         f"noise_decay_on must be 'sample' or 'update', got {c.noise_decay_on!r}")
    need(sorted(c.update_order.split(",")) == ["actor", "critic", "targets"],
         f"update_order must order critic, actor and targets, e.g. 'critic,actor,targets', "
         f"got {c.update_order!r}")
    need(c.terminal_reward >= 0, f"terminal_reward must be non-negative, got {c.terminal_reward}")
    need(all(w > 0 for w in c.actor_hidden + c.critic_hidden), "layer widths must be positive")
    need((c.actor_hidden or c.actor_model) and (c.critic_hidden or c.critic_model),
         "actor_hidden and critic_hidden need at least one layer width each (e.g. 400,300)")
    need(c.residual_blocks >= 0, f"residual_blocks must be non-negative, got {c.residual_blocks}")
    need(c.critic_action_input == "concat" or (len(c.critic_hidden) >= 2 and not c.residual_blocks),
         "critic_action_input='second' needs at least two plain critic layers (no residual_blocks)")
    need(c.critic_action_input in CRITIC_ACTION_INPUTS,
         f"critic_action_input must be one of {CRITIC_ACTION_INPUTS}, got {c.critic_action_input!r}")
    need(c.activation in ACTIVATIONS, f"activation must be one of {tuple(ACTIVATIONS)}, got {c.activation!r}")
    need(c.final_init >= 0, f"final_init must be non-negative (0: 1/sqrt(fan_in)), got {c.final_init}")
    need(c.critic_action_units in CRITIC_ACTION_UNITS,
         f"critic_action_units must be one of {CRITIC_ACTION_UNITS}, got {c.critic_action_units!r}")
    need(c.dtype in DTYPES, f"dtype must be one of {DTYPES}, got {c.dtype!r}")
    need(c.optimizer in OPTIMIZERS, f"optimizer must be one of {tuple(OPTIMIZERS)}, got {c.optimizer!r}")
    need(c.actor_lr > 0, f"actor_lr must be positive, got {c.actor_lr}")
    need(c.critic_lr > 0, f"critic_lr must be positive, got {c.critic_lr}")
    need(0 <= c.gamma <= 1, f"gamma must be in [0, 1], got {c.gamma}")
    need(0 < c.tau <= 1, f"tau must be in (0, 1], got {c.tau}")
    need(c.batch_size > 0, f"batch_size must be positive, got {c.batch_size}")
    need(c.buffer_size > 0, f"buffer_size must be positive, got {c.buffer_size}")
    need(c.batch_size <= c.buffer_size,
         f"batch_size ({c.batch_size}) must not exceed buffer_size ({c.buffer_size})")
    need(c.critic_l2 >= 0, f"critic_l2 must be non-negative, got {c.critic_l2}")
    need(c.warmup_steps >= 0, f"warmup_steps must be non-negative, got {c.warmup_steps}")
    need(c.train_every > 0, f"train_every must be positive, got {c.train_every}")
    need(c.gradient_steps >= 0, f"gradient_steps must be non-negative (0: n_envs), got {c.gradient_steps}")
    need(c.n_envs >= 1, f"n_envs must be at least 1, got {c.n_envs}")
    need(c.n_envs <= MAX_N_ENVS, f"n_envs must be at most {MAX_N_ENVS}, got {c.n_envs:,}")
    need(c.n_envs <= c.total_steps, f"n_envs ({c.n_envs:,}) must not exceed total_steps "
                                    f"({c.total_steps:,}): one vector step is n_envs env steps")
    need(c.vector_mode in VECTOR_MODES,
         f"vector_mode must be one of {tuple(VECTOR_MODES)}, got {c.vector_mode!r}")
    need(c.learning_starts >= 0, f"learning_starts must be non-negative, got {c.learning_starts}")
    need(c.noise in NOISES, f"noise must be one of {tuple(NOISES)}, got {c.noise!r}")
    need(c.noise_sigma >= 0, f"noise_sigma must be non-negative, got {c.noise_sigma}")
    need(c.noise_theta >= 0, f"noise_theta must be non-negative, got {c.noise_theta}")
    need(c.noise_dt > 0, f"noise_dt must be positive, got {c.noise_dt}")
    need(0 < c.noise_decay <= 1, f"noise_decay must be in (0, 1], got {c.noise_decay}")
    need(0 < c.noise_episode_decay <= 1,
         f"noise_episode_decay must be in (0, 1], got {c.noise_episode_decay}")
    need(c.eval_every_steps >= 0 and c.eval_episodes >= 0 and c.checkpoint_every_steps >= 0,
         "eval_every_steps, eval_episodes and checkpoint_every_steps must be non-negative")
    need(c.scope in SCOPE_MODES, f"scope must be one of {SCOPE_MODES}, got {c.scope!r}")
    need(c.scope_every > 0 and c.scope_png_every >= 0, "scope_every must be positive, "
         "scope_png_every non-negative")
    need(c.intra_op_threads >= 0 and c.inter_op_threads >= 0, "thread counts must be non-negative")
    need(c.matmul_precision in ("float32", "bfloat16"),
         f"matmul_precision must be float32 or bfloat16, got {c.matmul_precision!r}")
    need(re.fullmatch(r"auto|((cpu|gpu)(:\d+)?)(,(cpu|gpu)(:\d+)?)*", c.device.lower()) is not None,
         f"device must be 'auto', 'cpu', 'cpu:N', 'gpu:N' or a comma-separated list of them, "
         f"got {c.device!r}")
    need(c.target_noise >= 0, f"target_noise must be non-negative, got {c.target_noise}")
    need(c.target_noise_clip >= 0, f"target_noise_clip must be non-negative, got {c.target_noise_clip}")
    need(c.policy_delay >= 1, f"policy_delay must be at least 1, got {c.policy_delay}")
    need(c.policy_delay == 1 or c.update_order == PAPER_ORDER,
         f"policy_delay > 1 needs the paper's update_order {PAPER_ORDER!r} (SB3's TD3 order), "
         f"got {c.update_order!r}")
    need(c.towers > 0, f"towers must be positive, got {c.towers}")
    need(c.batch_size % c.towers == 0,
         f"batch_size ({c.batch_size}) must be a multiple of towers ({c.towers})")


def _did_you_mean(key: str, keys) -> str:
    close = difflib.get_close_matches(key, sorted(keys), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def parse_overrides(pairs) -> Dict[str, Any]:
    """``["tau=0.01", "actor_hidden=64,64"]`` -> ``{"tau": 0.01, "actor_hidden": (64, 64)}``."""
    types = {f.name: f.type for f in dataclasses.fields(Config)}
    defaults = Config().to_dict()
    overrides: Dict[str, Any] = {}
    for pair in pairs or ():
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep:
            raise UserError(f"--set expects key=value, got {pair!r}")
        if key not in types:
            raise ConfigError(f"unknown config key {key!r}{_did_you_mean(key, types)}")
        overrides[key] = _coerce(key, text.strip(), defaults[key])
    return overrides


def _coerce(key: str, text: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if isinstance(default, int):
            return int(float(text)) if float(text).is_integer() else int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, list):
            return tuple(int(w) for w in text.split(",") if w.strip())
        if isinstance(default, dict):
            value = json.loads(text)
            if not isinstance(value, dict):
                raise ValueError(text)
            return value
        return text
    except ValueError:
        raise UserError(f"invalid value for {key}: {text!r}") from None


# The presets: data only. Each names the tutorial's published settings.
PRESETS: Dict[str, Dict[str, Any]] = {
    # Emami's tflearn walkthrough (and the paper's low-dimensional settings).
    "emami": dict(
        env_id="Pendulum-v0", total_steps=40_000,
        actor_hidden=(400, 300), critic_hidden=(400, 300), critic_action_input="second",
        optimizer="adam", actor_lr=1e-4, critic_lr=1e-3, gamma=0.99, tau=0.001,
        batch_size=64, buffer_size=1_000_000, learning_starts=64,
        noise="ou", noise_sigma=0.3, noise_theta=0.15, noise_dt=1.0,
    ),
    # ctmakro's canton agent: RMSProp, leaky-integrator noise, residual ELU blocks, scope.
    "canton": dict(
        env_id="Pendulum-v0", total_steps=40_000,
        actor_hidden=(64,), critic_hidden=(64,), residual_blocks=2, activation="elu",
        critic_action_input="concat",
        optimizer="rmsprop", actor_lr=1e-4, critic_lr=1e-4, gamma=0.99, tau=0.001,
        batch_size=64, buffer_size=1_000_000, learning_starts=64,
        noise="canton", noise_sigma=0.1, noise_episode_decay=0.99, noise_relative=True,
        scope="window",
    ),
    # Morvan Zhou's DDPG_update.py: tiny networks, decaying Gaussian noise, reward / 10.
    "morvan": dict(
        env_id="Pendulum-v0", total_steps=40_000, total_episodes=200,
        actor_hidden=(30,), critic_hidden=(30,), critic_action_input="concat",
        optimizer="adam", actor_lr=1e-3, critic_lr=2e-3, gamma=0.9, tau=0.01,
        batch_size=32, buffer_size=10_000, learning_starts=10_000, reward_scale=0.1,
        noise="gaussian", noise_sigma=3.0, noise_decay=0.9995, noise_decay_on="update",
    ),
    # The "simple TF2 DDPG" article (GradientTape); sizes and rates from its published code.
    "tf2_article": dict(
        env_id="Pendulum-v0", total_steps=20_000, total_episodes=100,
        actor_hidden=(1000, 500, 200), critic_hidden=(400, 200), critic_action_input="concat",
        optimizer="adam", actor_lr=1e-3, critic_lr=1e-3, gamma=0.99, tau=0.01,
        batch_size=32, buffer_size=1_000_000, warmup_steps=10, learning_starts=32,
        noise="gaussian", noise_sigma=0.1,
    ),
    # sezan92's Keras notebook on MountainCarContinuous, memory filled with random steps first.
    "keras_mountaincar": dict(
        env_id="MountainCarContinuous-v0", total_steps=1_000_000, total_episodes=100,
        actor_model="ddpg_graph.keras_models:mountaincar_actor",
        critic_model="ddpg_graph.keras_models:mountaincar_critic",
        optimizer="rmsprop", actor_lr=1e-4, critic_lr=1e-3, gamma=0.95, tau=0.001,
        batch_size=256, buffer_size=10_000, prefill_steps=10_000, learning_starts=256,
        noise="ou", noise_theta=0.35, noise_mu=0.8, noise_sigma=0.4, noise_dt=0.01,
        eval_every_steps=0, intra_op_threads=2,  # compute-bound: 3x640 critic at batch 256
    ),
    # rl-zoo3's tuned Pendulum settings, run as Stable-Baselines3's DDPG runs them: torch's
    # default init in every layer, the critic on actions in [-1, 1], torch's Adam (the SB3
    # oracle, tests/test_sb3_oracle.py, checks the update against SB3's own).
    "zoo": dict(
        env_id="Pendulum-v1", total_steps=20_000,
        actor_hidden=(400, 300), critic_hidden=(400, 300), critic_action_input="concat",
        final_init=0.0, critic_action_units="unit",
        optimizer="torch_adam", actor_lr=1e-3, critic_lr=1e-3, gamma=0.98, tau=0.005,
        batch_size=256, buffer_size=200_000, warmup_steps=10_000, learning_starts=10_000,
        noise="gaussian", noise_sigma=0.1, noise_relative=True,
        # two towers of 128 rows side by side on two cores: +15-40% learning-phase env steps/s
        # over one tower with 2/2 threads (docs/BENCHMARKS.md); on one core, towers=1 and 1/1
        towers=2, intra_op_threads=1, inter_op_threads=2,
    ),
}
# Stable-Baselines3's TD3 with rl-zoo3's Pendulum-v1 values (its td3.yml gives TD3 the same
# values as DDPG: the row above) and SB3's TD3 defaults for the three fixes (the SB3 oracle,
# tests/test_sb3_oracle.py, checks the update against SB3's TD3).
PRESETS["td3"] = dict(PRESETS["zoo"], twin_critics=True, target_noise=0.2, target_noise_clip=0.5,
                      policy_delay=2)
