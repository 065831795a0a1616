"""At equal stored bytes, is it better to compress the training data or the model? Test accuracy against
what a team keeps to reproduce a model — training data plus model — for compressed data (dense model),
compressed models (raw data), both, and neither.

Reads ``results/tables/data_vs_model.csv``; each point is one configuration (mean over seeds, 95% CI).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from .style import MethodInfo, facet_label, log_axis, mean_ci, missing, no_data, rc_style, save_figure

_KINDS = {
    "none": ("uncompressed", "black", "*"),
    "data": ("training data compressed", "tab:blue", "o"),
    "model": ("model compressed", "tab:orange", "s"),
    "both": ("both compressed", "tab:green", "^"),
}


def plot_data_vs_model(table: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    title = "Compress the data or the model?"
    lacking = missing(table, ["kind", "kept_bytes", "test_accuracy"])
    if lacking or table.empty:
        return no_data(path, title, f"table lacks {lacking or 'rows'}")
    keys = ["dataset", "model"]
    facets = list(table.groupby(keys, sort=False))
    with rc_style():
        fig, axes = plt.subplots(1, len(facets), figsize=(6.4 * len(facets), 4.6), layout="constrained",
                                 squeeze=False)  # fmt: skip
        for ax, (values, part) in zip(axes[0], facets, strict=True):
            config = ["kind", "method", "level", "scheme", "amount"]
            part = part.fillna({"scheme": "", "amount": ""})
            acc = mean_ci(part, config, "test_accuracy")
            kept = part.groupby(config, sort=False)["kept_bytes"].mean().rename("kept").reset_index()
            acc = acc.merge(kept, on=config)
            for kind, (label, colour, marker) in _KINDS.items():
                rows = acc[acc["kind"] == kind]
                if rows.empty:
                    continue
                ax.errorbar(rows["kept"], rows["mean"], yerr=rows["half"].fillna(0), ls="none", marker=marker,
                            color=colour, ms=6 if kind != "none" else 12, capsize=2, label=label)  # fmt: skip
            log_axis(ax.xaxis)
            ax.set_xlabel("Bytes kept: training data as stored + model (log)")
            ax.set_ylabel("Test accuracy")
            ax.set_title(facet_label(keys, values))
            ax.legend(fontsize=8, loc="lower right")
        fig.suptitle(f"{title}\n(mean, 95% CI over seeds; up and left is better)", fontsize=10)
        return save_figure(fig, path)


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["table"]``: results/tables/data_vs_model.csv."""
    return plot_data_vs_model(pd.read_csv(inputs["table"], dtype={"level": str, "amount": str}), png)
