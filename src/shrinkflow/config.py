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
    for method, params in (config.get("codecs") or {}).items():
        try:
            codecs.get(method).params(params)
        except codecs.LevelError as err:
            problems.append(f"codecs.{method}: {err}")
    if problems:
        raise ConfigError("invalid config:\n  - " + "\n  - ".join(problems))
