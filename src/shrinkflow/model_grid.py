"""The model-compression grid of a study: which runs are compressed, by which schemes and amounts, and which
runs are searched; plus its config checks. Torch-free: the Snakefile reads it at parse time.

A compressed model's key is its run's key plus ``{scheme}/{amount}`` (:data:`shrinkflow.layout.MODEL_KEY`),
so a model trained on compressed data and then compressed keeps both lineages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import model_compression as mc
from .config import level_key, models_of


def amount_key(amount: Any) -> str:
    """An amount as spelled in paths: ``0.9`` → "0.9", ``8`` or ``8.0`` → "8"."""
    value = float(amount)
    return str(int(value)) if value.is_integer() else repr(value)


def _settings(config: Mapping[str, Any]) -> Mapping[str, Any]:
    return config.get("model_compression") or {}


def _grid_levels(config: Mapping[str, Any], dataset: str) -> set[tuple[str, str]]:
    return {(m, level_key(lv)) for m, levels in config["datasets"][dataset].items() for lv in levels}


def sources(config: Mapping[str, Any], dataset: str) -> list[tuple[str, str]]:
    """(method, level) of the runs of ``dataset`` that are compressed (those of the study grid)."""
    grid = _grid_levels(config, dataset)
    wanted = [tuple(s.split("/", 1)) for s in _settings(config).get("sources", ["identity/full"])]
    return [s for s in wanted if s in grid]


def _source_runs(config: Mapping[str, Any], seeds: list[int]) -> list[dict[str, Any]]:
    """The runs the stage compresses: every study model (or ``model_compression.models``) × source × seed."""
    chosen = _settings(config).get("models") or []
    return [
        dict(dataset=dataset, method=method, level=level, model=model, seed=seed)
        for dataset in config["datasets"]
        for model in models_of(config, dataset)
        if not chosen or model in chosen
        for method, level in sources(config, dataset)
        for seed in seeds
    ]


def compressed_models(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every compressed model of the study: dataset, method, level, model, seed, scheme, amount (path key)."""
    schemes = _settings(config).get("schemes") or {}
    return [
        {**run, "scheme": scheme, "amount": amount_key(amount)}
        for run in _source_runs(config, config["seeds"])
        for scheme, amounts in schemes.items()
        if mc.supports(scheme, run["model"])
        for amount in amounts
    ]


def searches(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every accuracy-targeted search: dataset, method, level, model, seed, scheme."""
    search = _settings(config).get("search") or {}
    return [
        {**run, "scheme": scheme}
        for run in _source_runs(config, search.get("seeds") or config["seeds"])
        for scheme in search.get("schemes") or []
        if mc.supports(scheme, run["model"])
    ]


def check(config: Mapping[str, Any]) -> list[str]:
    """One line per problem of the ``model_compression`` block (key, value, what is allowed)."""
    settings = _settings(config)
    if not settings.get("schemes") and not (settings.get("search") or {}).get("schemes"):
        return []
    problems: list[str] = []
    for scheme, amounts in (settings.get("schemes") or {}).items():
        for i, amount in enumerate(amounts):
            try:
                mc.validate_amount(scheme, amount)
            except (mc.AmountError, ValueError) as err:
                problems.append(f"model_compression.schemes.{scheme}[{i}]: {err}")
    study_models = sorted({m for d in config["datasets"] for m in models_of(config, d)})
    for model in settings.get("models") or []:
        if model not in study_models:
            problems.append(
                f"model_compression.models: {model!r} is not trained by the study; allowed: {study_models}"
            )
    models = settings.get("models") or study_models
    wanted = [*(settings.get("schemes") or {}), *((settings.get("search") or {}).get("schemes") or [])]
    for scheme in dict.fromkeys(wanted):
        if not any(mc.supports(scheme, m) for m in models):
            problems.append(
                f"model_compression: scheme {scheme!r} cannot compress any of the models {models}; "
                f"allowed models: {list(mc.STRUCTURED_MODELS)}"
            )
    grids = {d: _grid_levels(config, d) for d in config["datasets"]}
    for source in settings.get("sources") or []:
        method, level = source.split("/", 1)
        if not any((method, level) in grid for grid in grids.values()):
            runs = sorted({f"{m}/{lv}" for grid in grids.values() for m, lv in grid})
            problems.append(
                f"model_compression.sources: {source!r} is not a run of the study; allowed: {runs}"
            )
    search_seeds = (settings.get("search") or {}).get("seeds") or []
    extra = sorted(set(search_seeds) - set(config.get("seeds", [])))
    if extra:
        problems.append(
            f"model_compression.search.seeds: {extra} are not study seeds; allowed: {config.get('seeds')}"
        )
    return problems
