"""The course project "Model Compression" (Thrash & Kolouri) as a study: its grid, config checks and the
teacher choice. Torch-free (the Snakefile reads it at parse time).

* Task 1, capacity: ``mlp_w{width}_d{depth}`` for every width × depth, trained on the raw data of one dataset
  by the ordinary ``train`` rule (``results/runs/{dataset}/identity/full/mlp_w…/seed{s}/``).
* Task 2, MCNC: each ``mcnc.models`` × ``[d, k]`` trained through MCNC from the model's initialisation
  (``results/students/<run>/d{d}_k{k}/plain/``; ``<run>`` = the dense run's key).
* Task 3, distillation: the same MCNC models and the plain ``distill.students`` retrained with Hinton et al.'s
  loss from the teacher = the capacity configuration with the highest median accuracy over seeds, read from
  ``results/tables/mlp_capacity.csv`` by the job, not typed in config (``…/{rate}/distilled/``; plain
  students: rate ``dense``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import models

TRAININGS = ("plain", "distilled")
DENSE = "dense"


def _study(config: Mapping[str, Any]) -> Mapping[str, Any]:
    return config.get("mlp_study") or {}


def enabled(config: Mapping[str, Any]) -> bool:
    return bool(_study(config).get("dataset"))


def seeds(config: Mapping[str, Any]) -> list[int]:
    return list(_study(config).get("seeds") or config.get("seeds") or [])


def rate_key(d: int, k: int) -> str:
    return f"d{int(d)}_k{int(k)}"


def parse_rate(rate: str) -> tuple[int, int]:
    """``"d100_k9"`` → (100, 9)."""
    d, k = rate.removeprefix("d").split("_k")
    return int(d), int(k)


def capacity_models(config: Mapping[str, Any]) -> list[str]:
    study = _study(config)
    return [f"mlp_w{w}_d{d}" for d in study.get("depths", [2, 3, 4]) for w in study.get("widths", [])]


def _run(config: Mapping[str, Any], model: str, seed: int) -> dict[str, Any]:
    return dict(dataset=_study(config)["dataset"], method="identity", level="full", model=model, seed=seed)


def capacity_runs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    if not enabled(config):
        return []
    return [_run(config, m, s) for m in capacity_models(config) for s in seeds(config)]


def student_runs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every MCNC run and student: the dense run's key + ``rate`` + ``training``."""
    if not enabled(config):
        return []
    study = _study(config)
    mcnc = study.get("mcnc") or {}
    out = [
        {**_run(config, model, seed), "rate": rate_key(d, k), "training": training}
        for model in mcnc.get("models", [])
        for d, k in mcnc.get("rates", [])
        for training in TRAININGS
        for seed in seeds(config)
    ]
    out += [
        {**_run(config, model, seed), "rate": DENSE, "training": training}
        for model in (study.get("distill") or {}).get("students", [])
        for training in TRAININGS
        for seed in seeds(config)
    ]
    return out


def train_settings(config: Mapping[str, Any], mcnc: bool) -> dict[str, Any]:
    """Trainer settings of the study's runs: the study's ``train`` block, overridden by the task's own."""
    study = _study(config)
    own = (study.get("mcnc") or {}).get("train", {}) if mcnc else study.get("train", {})
    return {**config["train"], **own}


def check(config: Mapping[str, Any]) -> list[str]:
    """One line per problem of the ``mlp_study`` block (key, value, what is allowed)."""
    if not enabled(config):
        return []
    study = _study(config)
    problems = []
    dataset = study["dataset"]
    if dataset not in config["datasets"] or "identity" not in config["datasets"][dataset]:
        problems.append(
            f"mlp_study.dataset: {dataset!r} needs identity data in the study; allowed: "
            f"{sorted(d for d, m in config['datasets'].items() if 'identity' in m)}"
        )
    extra = sorted(set(study.get("seeds") or []) - set(config.get("seeds", [])))
    if extra:
        problems.append(f"mlp_study.seeds: {extra} are not study seeds; allowed: {config.get('seeds')}")
    mcnc = study.get("mcnc") or {}
    for model in [*mcnc.get("models", []), *(study.get("distill") or {}).get("students", [])]:
        if not models.is_model_name(model):
            problems.append(
                f"mlp_study: model {model!r} is unknown; allowed: mlp_w{{width}}_d{{depth}} or "
                f"{models.names()}"
            )
    from .mcnc import MCNCError, MCNCSettings

    for i, pair in enumerate(mcnc.get("rates", [])):
        try:
            MCNCSettings(int(pair[0]), int(pair[1]), **(mcnc.get("settings") or {}))
        except (MCNCError, TypeError) as err:
            problems.append(f"mlp_study.mcnc.rates[{i}] = {pair}: {err}")
    distill = study.get("distill") or {}
    temperature, alpha = distill.get("temperature", 20), distill.get("alpha", 0.9)
    if not (isinstance(temperature, int | float) and temperature > 0):
        problems.append(f"mlp_study.distill.temperature: {temperature!r}; allowed: a number > 0")
    if not (isinstance(alpha, int | float) and 0 <= alpha <= 1):
        problems.append(f"mlp_study.distill.alpha: {alpha!r}; allowed: a number in [0, 1]")
    return problems
