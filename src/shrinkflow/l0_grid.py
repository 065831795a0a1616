"""The ℓ0 grid of a study (``l0`` block): classifier runs per method and strength, their dense twins, the
teacher–student runs per data size, and the block's config checks. Torch-free: the Snakefile reads it.

A classifier run is ``results/l0/{dataset}/{model}/seed{seed}/{l0method}/{strength}/`` (strength: the
method's α, ρ or sparsity, ``0`` for methods without one); every (dataset, model, seed) also trains the
``dense/0`` twin that its sparse runs are analysed against. A teacher–student run is
``results/l0/teacher_student/n{samples}/{l0method}/{strength}/seed{seed}/``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from . import l0, models
from .model_grid import amount_key as strength_key  # a strength is spelled in paths like an amount

DENSE = "dense"
DENSE_STRENGTH = "0"
#: the L0Settings field each method's strength sets (None: the method takes no strength; path "0")
STRENGTH_FIELD = {"pmmp": "alpha", "drr": "alpha", "rl1": "alpha", "l2": "rho", "magnitude": "sparsity",
                  "tamade": None, "rgp": None, "dense": None}  # fmt: skip
#: keys of the l0 settings block that are the stage's, not L0Settings fields
STAGE_KEYS = ("validation_fraction",)
#: their ``MNIST_data``: 5,000 validation images of 50,000 drawn from the training split, TAMADE on them
VALIDATION_FRACTION = 0.1
#: the paper's trainer (Adam 1e-3, batch 500, no weight decay, constant step), over the study's train block
PAPER_TRAIN = {
    "optimizer": "adam",
    "lr": 0.001,
    "batch_size": 500,
    "weight_decay": 0.0,
    "schedule": "constant",
}


def block(config: Mapping[str, Any]) -> Mapping[str, Any]:
    return config.get("l0") or {}


def enabled(config: Mapping[str, Any]) -> bool:
    return bool(block(config).get("dataset") and block(config).get("methods"))


def _seeds(config: Mapping[str, Any], part: Mapping[str, Any]) -> list[int]:
    return list(part.get("seeds") or config.get("seeds") or [0])


def classifier_seeds(config: Mapping[str, Any]) -> list[int]:
    """The seeds of the classifier runs (the block's, else the study's)."""
    return _seeds(config, block(config))


def teacher_student_seeds(config: Mapping[str, Any]) -> list[int]:
    """The seeds of the teacher-student runs (their own, else the study's)."""
    return _seeds(config, block(config).get("teacher_student") or {})


def _method_strengths(methods: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(m, strength_key(s)) for m, strengths in (methods or {}).items() for s in strengths or [0]]


def classifier_runs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every classifier run: dataset, model, seed, l0method, strength; the dense twin of each model and
    seed included (first)."""
    if not enabled(config):
        return []
    b = block(config)
    dataset = b["dataset"]
    wanted = [(DENSE, DENSE_STRENGTH)] + [p for p in _method_strengths(b["methods"]) if p[0] != DENSE]
    return [
        {"dataset": dataset, "model": model, "seed": seed, "l0method": method, "strength": strength}
        for model in b.get("models") or ["lenet300"]
        for seed in classifier_seeds(config)
        for method, strength in wanted
    ]


def analysed_runs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The sparse runs, each analysed against its dense twin."""
    return [r for r in classifier_runs(config) if r["l0method"] != DENSE]


def twin(run: Mapping[str, Any]) -> dict[str, Any]:
    return {**run, "l0method": DENSE, "strength": DENSE_STRENGTH}


def teacher_student_runs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every teacher–student run: samples, l0method, strength, seed."""
    part = block(config).get("teacher_student") or {}
    return [
        {"samples": int(n), "l0method": method, "strength": strength, "seed": seed}
        for n in part.get("samples") or []
        for method, strength in _method_strengths(part.get("methods") or {})
        for seed in teacher_student_seeds(config)
    ]


def train_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The classifier trainer: the study's train block, the paper's optimiser, then the block's own train."""
    merged = {**config["train"], **PAPER_TRAIN, **(block(config).get("train") or {})}
    merged.pop("input_center", None)  # the ℓ0 runs read raw pixels standardised as usual
    return merged


def regression_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    return dict((block(config).get("teacher_student") or {}).get("train") or {})


def settings(config: Mapping[str, Any]) -> dict[str, Any]:
    return dict(block(config).get("settings") or {})


def check(config: Mapping[str, Any]) -> list[str]:
    """One line per problem of the ``l0`` block (key, value, what is allowed)."""
    b = block(config)
    problems: list[str] = []
    if enabled(config) and b["dataset"] not in config["datasets"]:
        problems.append(
            f"l0.dataset: {b['dataset']!r} is not a study dataset; allowed: {sorted(config['datasets'])}"
        )
    for model in b.get("models") or []:
        if model not in models.names() and not re.fullmatch(models.MLP_REGEX, model):
            problems.append(f"l0.models: unknown model {model!r}; allowed: {models.names()} or mlp_w<W>_d<D>")
    base = {k: v for k, v in settings(config).items() if k not in STAGE_KEYS}
    try:
        base_settings = l0.settings_from(base)
    except l0.L0SettingsError as err:
        return [*problems, f"l0.settings: {err}"]
    fraction = settings(config).get("validation_fraction", VALIDATION_FRACTION)
    if not (isinstance(fraction, int | float) and 0 <= fraction < 1):
        problems.append(f"l0.settings.validation_fraction: {fraction!r} is not in [0, 1)")
    part = b.get("teacher_student") or {}
    for key, methods in (
        ("l0.methods", b.get("methods")),
        ("l0.teacher_student.methods", part.get("methods")),
    ):
        for method, strengths in (methods or {}).items():
            if method not in l0.names():
                problems.append(f"{key}: unknown method {method!r}; allowed: {l0.names()}")
                continue
            problems += _check_strengths(f"{key}.{method}", method, strengths or [0], base_settings)
    return problems


def _check_strengths(key: str, method: str, strengths: list[Any], base: l0.L0Settings) -> list[str]:
    problems = []
    field = STRENGTH_FIELD[method]
    for value in strengths:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            problems.append(f"{key}: {value!r} is not a number")
            continue
        if field is None:
            if value != 0:
                problems.append(f"{key}: {value!r}: {method} takes no strength; allowed: [0]")
            continue
        try:
            l0.validate(method, l0.L0Settings(**{**base.as_dict(), field: value}))
        except l0.L0SettingsError as err:
            problems.append(f"{key}: {err}")
    return problems
