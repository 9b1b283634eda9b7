"""The trained deterministic policy out of the package, as TensorFlow artifacts.

- ``saved_model``: a SavedModel with one signature, ``serving_default``: ``obs`` [N,S] (the
  config's dtype) -> ``action`` [N,A] inside the env's bounds. TensorFlow 2 loads it with
  ``tf.saved_model.load(DIR).signatures["serving_default"](obs=...)["action"]``; TF Serving
  serves it as it is.
- ``graphdef``: ``DIR/policy.pb``, a frozen GraphDef (weights as constants) for TF1 code:
  ``tf.compat.v1.import_graph_def``, then feed ``obs:0`` and fetch ``action:0``.

The actor is built again in a graph of its own, with the same network code (built-in or the
``tf_keras`` factory) and the trained weights, so nothing of training (critic, targets,
optimiser, placeholders of the batch) goes out.
"""
from __future__ import annotations

import os
import shutil

import tensorflow as tf

from . import networks, rundir
from .errors import UserError

tf1 = tf.compat.v1
FORMATS = ("saved_model", "graphdef")
GRAPHDEF_FILE = "policy.pb"


def check_target(out_dir: str) -> None:
    """Refuses a target that would overwrite or lose something: a file, a directory that is
    not empty, or a place inside a run's ``checkpoints/`` (the run's pruning deletes it)."""
    if os.path.isfile(out_dir):
        raise UserError(f"{out_dir} is a file; an export needs a new or empty directory")
    if os.path.isdir(out_dir) and os.listdir(out_dir):
        raise UserError(f"{out_dir} is not empty; an export needs a new or empty directory")
    checkpoints = rundir.inside_checkpoints(out_dir)
    if checkpoints:
        raise UserError(f"{out_dir} is inside the run's {checkpoints}, which the run prunes; "
                        "choose another --out")


def export(agent, out_dir: str, format: str = "saved_model") -> str:  # noqa: A002
    """Writes ``agent``'s deterministic actor to ``out_dir`` in ``format``; returns the path
    written (the SavedModel directory, or the ``.pb`` file)."""
    if format not in FORMATS:
        raise UserError(f"unknown export format {format!r}; choose one of: {', '.join(FORMATS)}")
    check_target(out_dir)
    existed = os.path.exists(out_dir)
    net, config = agent.net, agent.config
    weights = agent.session.run(net.actor_vars)
    dtype = tf.as_dtype(config.dtype)
    graph = tf.Graph()
    with graph.as_default():
        obs = tf1.placeholder(dtype, [None, agent.obs_dim], "obs")
        actor = networks.make_network("actor", "main/pi", agent.obs_dim, len(agent.action_low),
                                      config, dtype, net.actor_factory)
        action = tf.identity(networks.squash(actor(obs), agent.action_low, agent.action_high),
                             name="action")
        session = tf1.Session(graph=graph)
        for variable, value in zip(actor.variables, weights):
            variable.load(value, session)
        try:
            if format == "graphdef":
                frozen = tf1.graph_util.convert_variables_to_constants(
                    session, graph.as_graph_def(), ["action"])
                os.makedirs(out_dir, exist_ok=True)
                path = os.path.join(out_dir, GRAPHDEF_FILE)
                with open(path, "wb") as f:
                    f.write(frozen.SerializeToString())
                return path
            builder = tf1.saved_model.Builder(out_dir)
            signature = tf1.saved_model.predict_signature_def({"obs": obs}, {"action": action})
            builder.add_meta_graph_and_variables(
                session, [tf1.saved_model.tag_constants.SERVING],
                signature_def_map={"serving_default": signature})
            builder.save()
            return out_dir
        except (OSError, tf.errors.OpError) as exc:  # TF's file writes raise its own errors
            if not existed:
                shutil.rmtree(out_dir, ignore_errors=True)  # a part of an export is no export
            reason = exc.strerror if isinstance(exc, OSError) else exc.message.split("; ")[-1]
            raise UserError(f"cannot write the export to {out_dir}: {reason}") from None
        finally:
            session.close()
