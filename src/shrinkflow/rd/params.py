"""Parameters of the COIN-family codecs and their shared checks, without torch: the config check reads them
at parse time; the codecs (:mod:`.coin`, :mod:`.qn`, :mod:`.coin_mcnc`) take their defaults from here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .spec import RDLevelError

COIN_PARAMS = {
    "iterations": 50000,
    "lr": 2e-4,
    "seed": 0,
    "keep_best": True,
    "batch_images": 8,
    "device": "cpu",
    "threads": 1,
}


def check_fit_params(codec: str, params: Mapping[str, Any]) -> None:
    """The fitting knobs every COIN-family codec shares."""
    for key in ("iterations", "batch_images", "threads"):
        value = params[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RDLevelError(f"{codec}.{key}: {value!r} is not an integer ≥ 1")
    lr = params["lr"]
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not 0 < lr < 10:
        raise RDLevelError(f"{codec}.lr: {lr!r} is not a number in (0, 10)")
    seed = params["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise RDLevelError(f"{codec}.seed: {seed!r} is not an integer in [0, 2^32)")
    if not isinstance(params["keep_best"], bool):
        raise RDLevelError(f"{codec}.keep_best: {params['keep_best']!r} is not true or false")
    if not isinstance(params["device"], str) or not params["device"].startswith(("cpu", "cuda", "mps")):
        raise RDLevelError(f"{codec}.device: {params['device']!r} is not 'cpu', 'cuda[:i]' or 'mps'")


QN_PARAMS = {
    **COIN_PARAMS,
    "temperature_start": 20.0,
    "temperature_max": 2000.0,
    "temperature_stages": 100,
    "eval_every": 10,
    "float_fraction": 0.5,
}


MCNC_PARAMS = {
    **COIN_PARAMS,
    "lr": 0.01,
    "generator_width": 64,
    "generator_depth": 1,
    "frequency": 30.0,
    "bound": 1.0,
    "alpha_init": 1.0,
    "beta_init": 0.0,
    "dtype": "fp16",
}

#: codec name → default parameters (the neural codecs; the classical ones carry theirs in :mod:`.classical`)
NEURAL_PARAMS = {"coin": COIN_PARAMS, "coin_qn": QN_PARAMS, "coin_ptq": QN_PARAMS, "coin_mcnc": MCNC_PARAMS}
