"""Figures of a study, each written as PNG and PDF (matplotlib Agg backend, no display needed).

:mod:`.registry` lists the figures (``FIGURES``, ``get(name).draw(inputs, png, info)``); one module per
figure reads its input files in ``draw`` and plots a tidy table (from :mod:`shrinkflow.aggregate`) in a
pure ``plot_<name>(table, path, ...)``: the suffix of the path is replaced, so
``plot_x(df, "results/figures/x.png")`` writes ``x.png`` and ``x.pdf`` and returns both paths. Shared
conventions live in :mod:`.style`: seaborn's "colorblind" palette, one colour per method family (and a
marker per method) kept across figures; means over seeds with Student-t 95% intervals; axis labels carry
units. Missing data never crashes a figure and never yields a plot that looks complete: the figure states
"No data" and why, and a warning is logged.

Importing this package loads only the registry (no matplotlib, pandas or torch: the Snakefile imports
it); the plotting functions below are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .registry import FIGURES, INPUT_KINDS, Figure, get, names

#: public name → module under this package that defines it (imported on first access, PEP 562)
_LAZY = {
    "plot_accuracy_vs_bits": "accuracy_vs_bits",
    "plot_training_curves": "training_curves",
    "plot_adaptive_fractions": "adaptive_fractions",
    "plot_per_class_heatmap": "per_class_heatmap",
    "AttributionExample": "attribution_overlays",
    "attribution_examples": "attribution_overlays",
    "plot_attribution_overlays": "attribution_overlays",
    "plot_robustness": "robustness",
    "plot_boundary_ratios": "boundary_ratios",
    "plot_runtime": "runtime",
    "read_benchmarks": "runtime",
    "method_style": "style",
    "save_figure": "style",
}

__all__ = ["FIGURES", "INPUT_KINDS", "Figure", "get", "names", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
