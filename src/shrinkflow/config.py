"""Checks of a study config, run before any job starts; every problem is one line naming key, value and
what is allowed.

:func:`check_schema` reports violations of the JSON schema (workflow/schemas/config.schema.yaml: types,
names, ranges) one line each, instead of jsonschema's dump of the schema; :func:`check_study` checks what a
schema cannot express: that every level is one its method can honour on its dataset's image size, that
codec parameters exist, and that the adaptive and robustness settings fit together.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from typing import Any

from . import codecs, datasets
from .packaged import PUBLISHED_RESULTS


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
    problems += _check_center(config)
    from .model_grid import check as _check_model_compression  # light: no torch

    problems += _check_model_compression(config)
    from .mlp_study import check as _check_mlp_study

    problems += _check_mlp_study(config)
    from .l0_grid import check as _check_l0
    from .rd_grid import check as _check_rate_distortion

    problems += _check_l0(config)

    problems += _check_rate_distortion(config)
    problems += _check_robustness(config)
    problems += _check_reproduction(config)
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
    from .adaptive_config import AdaptiveConfig

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


def _check_center(config: Mapping[str, Any]) -> list[str]:
    """``train.input_center`` moves the centring past the codec: only views that are linear in the pixels."""
    center = (config.get("train") or {}).get("input_center")
    if center is None:
        return []
    problems = []
    if (config.get("adaptive") or {}).get("datasets"):
        problems.append(
            f"train.input_center: {center}; AdaptCompression runs do not take it (they normalise with "
            "train.input_mean / input_std); allowed: unset when adaptive.datasets is set"
        )
    base = codecs.Codec
    for methods in config["datasets"].values():
        for method in methods:
            codec = codecs.get(method)
            linear = (
                type(codec).torch_transform is not base.torch_transform
                or type(codec).view_offset is not base.view_offset
            )
            if view_of(config, method) == "coefficients" and not linear:
                problems.append(
                    f"train.input_center: {center}; the coefficients view of {method!r} is not linear in the "
                    f"pixels; allowed: its pixels view (codecs.{method}.view: pixels) or no centring"
                )
    return sorted(set(problems))


def _check_reproduction(config: Mapping[str, Any]) -> list[str]:
    studies = ((config.get("reproduction") or {}).get("studies")) or []
    if not studies:
        return []
    import csv

    with open(PUBLISHED_RESULTS, newline="") as fh:
        known = sorted({row["study"] for row in csv.DictReader(fh)})
    return [
        f"reproduction.studies: unknown study {study!r}; allowed: {', '.join(known)}"
        for study in studies
        if study not in known
    ]


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


def config_value(config: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted key (``analysis.storage.epsilons``) of a validated config."""
    value: Any = config
    for part in dotted.split("."):
        value = value[part]
    return value


# ---- schema violations, one line each ----


def check_schema(config: Mapping[str, Any], schema: Mapping[str, Any] | str | os.PathLike) -> None:
    """Raise :class:`ConfigError` with one line per schema violation of ``config`` (``schema``: a mapping
    or the path of the YAML schema); the config itself is not changed (defaults are not filled here)."""
    import jsonschema
    import yaml

    if not isinstance(schema, Mapping):
        with open(schema) as fh:
            schema = yaml.safe_load(fh)
    validator = jsonschema.Draft202012Validator(schema)
    problems: list[str] = []
    for error in validator.iter_errors(config):
        for line in _describe(error):
            if line not in problems:
                problems.append(line)
    if problems:
        raise ConfigError("invalid config:\n  - " + "\n  - ".join(problems))


def _key_path(parts: Sequence[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "config"


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _suggest(name: Any, allowed: Sequence[Any]) -> str:
    close = difflib.get_close_matches(str(name), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _allowed(values: Sequence[Any]) -> str:
    return ", ".join(str(v) for v in values)


def _describe(error: Any) -> list[str]:
    """One line per problem of a jsonschema ``ValidationError`` (several for a failed oneOf branch)."""
    where = _key_path(list(error.absolute_path))
    kind = error.validator
    if kind in ("oneOf", "anyOf") and error.context:
        # the branch whose top-level type fits the value explains the problem best
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        for subs in branches.values():
            if not any(s.validator == "type" and not s.relative_path for s in subs):
                return [line for s in subs for line in _describe(s)]
        return [f"{where}: {_short(error.instance)} has the wrong form ({error.message})"]
    if "propertyNames" in error.absolute_schema_path and kind == "enum":
        return [
            f"{where}: unknown name {error.instance!r}{_suggest(error.instance, error.validator_value)}; "
            f"allowed: {_allowed(error.validator_value)}"
        ]
    if kind == "enum":
        hint = _suggest(error.instance, error.validator_value)
        allowed = _allowed(error.validator_value)
        return [f"{where}: {_short(error.instance)} is not allowed{hint}; allowed: {allowed}"]
    if kind == "additionalProperties" and error.validator_value is False:
        known = sorted(error.schema.get("properties", {}))
        return [
            f"{where}: unknown key {key!r}{_suggest(key, known)}; allowed: {_allowed(known)}"
            for key in error.instance
            if key not in known
        ]
    if kind == "required":
        return [
            f"{where}: missing required key {key!r}"
            for key in error.validator_value
            if isinstance(error.instance, Mapping) and key not in error.instance
        ]
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return [f"{where}: {_short(error.instance)} is not of type {expected}"]
    return [f"{where}: {error.message if len(error.message) <= 160 else error.message[:157] + '...'}"]
