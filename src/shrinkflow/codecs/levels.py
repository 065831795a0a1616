"""Parsing of levels and parameters shared by the codecs: cheap checks that run at config-validation time.

Every failure is a :class:`LevelError` naming the method, the offending value and the allowed range, so a
user sees what to change in ``config.yaml`` before any job runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .base import LevelError


def parse_int(method: str, level: Any, low: int, high: int, meaning: str) -> int:
    """An integer level in ``low..high``; integers must be written as integers ("8", not "8.0")."""
    text = str(level).strip()
    if isinstance(level, bool):
        text = "not-a-number"
    try:
        value = int(text)
    except ValueError:
        raise LevelError(
            f"method {method!r}: level must be an integer {meaning} in {low}..{high}, got {level!r}"
        ) from None
    if not low <= value <= high:
        raise LevelError(
            f"method {method!r}: level {level!r} is outside the allowed {meaning} range {low}..{high}"
        )
    return value


def parse_float(
    method: str, level: Any, low: float, high: float, meaning: str, low_open: bool = False
) -> float:
    """A finite real level in ``[low, high]`` (``(low, high]`` when ``low_open``)."""
    bracket = "(" if low_open else "["
    allowed = f"{bracket}{low:g}, {high:g}]"
    if isinstance(level, bool):
        level = "not-a-number"
    try:
        value = float(str(level).strip())
    except ValueError:
        raise LevelError(
            f"method {method!r}: level must be a number {meaning} in {allowed}, got {level!r}"
        ) from None
    too_low = value <= low if low_open else value < low
    if not math.isfinite(value) or too_low or value > high:
        raise LevelError(
            f"method {method!r}: level {level!r} is outside the allowed {meaning} range {allowed}"
        )
    return value


def check_int_param(method: str, params: Mapping[str, Any], key: str, low: int, high: int) -> None:
    value = params[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise LevelError(f"codecs.{method}.{key}: {value!r} is not an integer in {low}..{high}")


def check_bool_param(method: str, params: Mapping[str, Any], key: str) -> None:
    if not isinstance(params[key], bool):
        raise LevelError(f"codecs.{method}.{key}: {params[key]!r} is not true or false")


def check_choice_param(method: str, params: Mapping[str, Any], key: str, choices: tuple) -> None:
    if params[key] not in choices:
        raise LevelError(f"codecs.{method}.{key}: {params[key]!r} is not one of {list(choices)}")


def check_channels(method: str, image_shape: tuple[int, ...], allowed: tuple[int, ...]) -> None:
    channels = image_shape[2]
    if channels not in allowed:
        raise LevelError(
            f"method {method!r}: images with {channels} channels are not supported; allowed: {allowed}"
        )
