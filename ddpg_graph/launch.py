"""A run as the command line and the reproduce scripts start it: the config from a preset and
overrides (or a resumed run's own), the run directory, and the ``Trainer``."""
from __future__ import annotations

import os
from typing import Optional, Sequence

from .config import Config, parse_overrides
from .errors import UserError
from .rundir import default_name, resume_config

# What a resumed run may change: the rest of its config is the run's own. (Sync and async
# envs step alike, so a run may resume in either mode.)
RESUME_MAY_CHANGE = ("total_steps", "scope", "device", "vector_mode")


def run_config(preset: Optional[str], overrides: Sequence[str] = (), resume: Optional[str] = None,
               config_file: Optional[str] = None, **values) -> Config:
    """The run's config: ``preset`` (or the whole config in ``config_file``, e.g. a tune's
    ``best.json``) with ``overrides`` (``--set`` texts) and ``values`` (the named options:
    seed, total_steps, env_id, scope, device, n_envs, vector_mode; None means not given); or,
    with ``resume``, the resumed run's own config with only ``RESUME_MAY_CHANGE`` changed."""
    values = {k: v for k, v in values.items() if v is not None}
    if config_file and (preset or resume):
        raise UserError("--config is a whole config: leave out --preset and --resume")
    if resume:
        config = resume_config(resume)
        if preset and preset != config.preset:
            raise UserError(f"{resume} is a run of preset {config.preset!r}, not {preset!r}")
        fixed = sorted(set(values) - set(RESUME_MAY_CHANGE)) + (["--set"] if overrides else [])
        if fixed:
            raise UserError(f"a resumed run keeps its config ({fixed[0]} given); only "
                            f"{', '.join(RESUME_MAY_CHANGE)} may change")
        return config.replace(**values) if values else config
    if not preset and not config_file:
        raise UserError("--preset is required (unless --resume or --config is given)")
    parsed = parse_overrides(overrides)
    for key, value in values.items():
        if key in parsed and parsed[key] != value:
            raise UserError(f"--set {key}={parsed[key]!r} and the option for {key} ({value!r}) "
                            "disagree; give one")
        parsed[key] = value
    if config_file:
        return Config.load(config_file, fill_from_preset=True).replace(**parsed)
    return Config.from_preset(preset, **parsed)


def make_trainer(config: Config, run_dir: Optional[str] = None, resume: Optional[str] = None,
                 overwrite: bool = False, progress: bool = True):
    """``(Trainer, run_dir)``: a new run in ``run_dir`` (default ``runs/PRESET-seedN-TIME``)
    or the run in ``resume`` continued."""
    from .runner import Trainer  # (TensorFlow: deferred to the run itself)
    if resume and run_dir and os.path.abspath(run_dir) != os.path.abspath(resume):
        raise UserError("--resume names the run directory; leave out --logdir")
    run_dir = resume or run_dir or default_name("runs", f"{config.preset}-seed{config.seed}")
    return Trainer(config, run_dir, progress=progress, overwrite=overwrite,
                   resume=bool(resume)), run_dir
