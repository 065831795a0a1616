"""Semantic checks of a study config that a JSON schema cannot express, run before any job starts.

The schema (workflow/schemas/config.schema.yaml) checks types and names; :func:`check_study` checks that
every level is one its method can honour on its dataset's image size and that codec parameters exist.
All problems are reported together, each naming the key, the value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import codecs, datasets


class ConfigError(ValueError):
    """The config asks for something shrinkflow cannot do; the message lists every problem found."""


def level_key(level: Any) -> str:
    """The path/wildcard spelling of a config level (7 -> "7", 0.5 -> "0.5", "full" -> "full")."""
    if isinstance(level, bool):
        raise ConfigError(f"a level cannot be a boolean, got {level!r}")
    if isinstance(level, float) and level.is_integer():
        return str(int(level))
    return str(level)


def models_of(config: Mapping[str, Any], dataset: str) -> list[str]:
    """Models trained on ``dataset``: ``config["models"]`` is one list for all datasets or a mapping."""
    models = config["models"]
    if isinstance(models, Mapping):
        return list(models.get(dataset, []))
    return list(models)


def check_study(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` listing every invalid dataset/method/level/parameter in ``config``."""
    problems: list[str] = []
    for dataset, methods in config["datasets"].items():
        try:
            image_shape = datasets.get(dataset).image_shape
        except datasets.DatasetError as err:
            problems.append(f"datasets: {err}")
            continue
        for method, levels in methods.items():
            try:
                codec = codecs.get(method)
            except codecs.LevelError as err:
                problems.append(f"datasets.{dataset}: {err}")
                continue
            for level in levels:
                try:
                    codec.parse_level(level_key(level), image_shape)
                except (codecs.LevelError, ConfigError) as err:
                    problems.append(f"datasets.{dataset}.{method}: {err}")
    if isinstance(config.get("models"), Mapping):
        missing = sorted(set(config["datasets"]) - set(config["models"]))
        if missing:
            problems.append(
                f"models: no model list for dataset(s) {missing}; "
                f"the mapping names {sorted(config['models'])}"
            )
    problems += _check_reference(config)
    problems += _check_adaptive(config)
    problems += _check_robustness(config)
    for method, params in (config.get("codecs") or {}).items():
        try:
            codecs.get(method).params(params)
        except codecs.LevelError as err:
            problems.append(f"codecs.{method}: {err}")
    if problems:
        raise ConfigError("invalid config:\n  - " + "\n  - ".join(problems))


def view_of(config: Mapping[str, Any], method: str) -> str:
    """The input view models train on for ``method``: ``codecs.<method>.view``, else ``default_view``."""
    return ((config.get("codecs") or {}).get(method) or {}).get("view", config.get("default_view", "pixels"))


def _check_reference(config: Mapping[str, Any]) -> list[str]:
    """The reference model (identity) reads raw images: analyses feed it raw pixels."""
    view = view_of(config, "identity")
    if view != "pixels":
        return [
            f"codecs.identity.view: the reference model must train on raw pixels (the analyses feed it raw "
            f"images), got {view!r}; allowed: 'pixels'"
        ]
    return []


def _check_adaptive(config: Mapping[str, Any]) -> list[str]:
    from .adaptive import AdaptiveConfig  # imports torch; only needed when adaptive runs are configured

    adaptive = config.get("adaptive") or {}
    if not adaptive.get("datasets"):
        return []
    problems: list[str] = []
    stored_k = adaptive.get("stored_k", 16)
    for dataset in adaptive["datasets"]:
        try:
            codecs.get("dct").parse_level(str(stored_k), datasets.get(dataset).image_shape)
        except (codecs.LevelError, datasets.DatasetError) as err:
            problems.append(f"adaptive.stored_k for {dataset}: {err}")
    if not adaptive.get("presets"):
        problems.append("adaptive.presets: adaptive.datasets is set but no preset is defined")
    for name, preset in (adaptive.get("presets") or {}).items():
        try:
            AdaptiveConfig(**preset).validate(stored_k)
        except (TypeError, ValueError) as err:
            problems.append(f"adaptive.presets.{name}: {err}")
    return problems


def _check_robustness(config: Mapping[str, Any]) -> list[str]:
    robustness = (config.get("analysis") or {}).get("robustness") or {}
    problems: list[str] = []
    if not robustness.get("models", ["default"]):
        return problems  # robustness analysis switched off
    for key in ("plain_model", "bn_model"):
        model = robustness.get(key)
        if model is not None and model not in robustness.get("models", [model]):
            problems.append(
                f"analysis.robustness.{key}: {model!r} is not among analysis.robustness.models "
                f"{robustness.get('models')}; add it there"
            )
    return problems
