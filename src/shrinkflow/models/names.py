"""Model names without torch: the fixed registry names, the parametric ``mlp_w{width}_d{depth}`` family and
:class:`ModelError`. The Snakefile reads these at parse time (wildcard constraints, config checks), so this
module imports nothing heavy; :mod:`shrinkflow.models.registry` builds the networks.
"""

from __future__ import annotations

import re


class ModelError(ValueError):
    """An unknown model name or an input shape a model cannot take; the message says what is allowed."""


#: the fixed registry names (tests check them against :data:`shrinkflow.models.registry.REGISTRY`)
FIXED_NAMES = ("alexnet", "cnn1d_paper", "cnn2d", "cnn2d_bn", "lenet300", "lenet5", "resnet110", "resnet20",
               "vgg19_bn")  # fmt: skip

WIDTHS = (1, 8192)
DEPTHS = (1, 16)
#: the regular expression of an MLP name (no range check): for Snakemake wildcard constraints and schemas
MLP_REGEX = r"mlp_w[1-9][0-9]*_d[1-9][0-9]*"
MLP_PATTERN = re.compile(MLP_REGEX)
_PARTS = re.compile(r"mlp_w([0-9]+)_d([0-9]+)")


def _check_range(what: str, value: int, bounds: tuple[int, int]) -> None:
    if not bounds[0] <= value <= bounds[1]:
        raise ModelError(f"MLP {what} must be an integer in [{bounds[0]}, {bounds[1]}], got {value}")


def is_mlp_name(name: str) -> bool:
    """Whether ``name`` is a valid ``mlp_w{width}_d{depth}`` name (pattern and ranges)."""
    try:
        parse_mlp_name(name)
    except ModelError:
        return False
    return True


def parse_mlp_name(name: str) -> tuple[int, int]:
    """``(width, depth)`` of ``mlp_w{width}_d{depth}``; else :class:`ModelError` naming what is allowed."""
    if not isinstance(name, str) or not _PARTS.fullmatch(name):
        raise ModelError(f"{name!r} is not an MLP name; allowed: mlp_w{{width}}_d{{depth}}, e.g. mlp_w128_d3")
    width, depth = (int(g) for g in _PARTS.fullmatch(name).groups())
    for what, value, bounds in (("width", width, WIDTHS), ("depth", depth, DEPTHS)):
        if not bounds[0] <= value <= bounds[1]:
            raise ModelError(
                f"MLP name {name!r}: {what} {value} is out of range; allowed: {bounds[0]}–{bounds[1]} "
                f"(mlp_w{{width}}_d{{depth}}, width {WIDTHS[0]}–{WIDTHS[1]}, depth {DEPTHS[0]}–{DEPTHS[1]})"
            )
    if not MLP_PATTERN.fullmatch(name):
        raise ModelError(f"MLP name {name!r} has a leading zero; write it as 'mlp_w{width}_d{depth}'")
    return width, depth
