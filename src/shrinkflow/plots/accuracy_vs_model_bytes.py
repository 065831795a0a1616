"""Compressed models: test accuracy against the payload's real size on disk, one line per scheme, and how
much the conventions others print (ShrinkBench's nonzero count, 4 bytes per nonzero) flatter that size.

Reads ``results/tables/model_compression.csv`` (one row per compressed model and seed); points are means
over seeds with Student-t 95% intervals; the dashed line is the mean accuracy of the uncompressed runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from .style import (
    MARKERS,
    MethodInfo,
    facet_label,
    log_axis,
    mean_ci,
    missing,
    no_data,
    rc_style,
    save_figure,
)

_RATIOS = {
    "compression_ratio": "real payload bytes",
    "shrinkbench_ratio": "ShrinkBench (parameters / nonzeros)",
    "four_bytes_per_nonzero_ratio": "4 bytes per nonzero, no index",
}


def plot_accuracy_vs_model_bytes(table: pd.DataFrame, path: str | os.PathLike) -> list[Path]:
    title = "Compressed models: accuracy vs stored bytes"
    need = ["scheme", "amount", "stored_bytes", "test_accuracy", "dense_fp32_bytes"]
    lacking = missing(table, need)
    if lacking or table.empty:
        return no_data(path, title, f"model table lacks {lacking or 'rows'}")
    table = table.assign(source=table["method"].astype(str) + "/" + table["level"].astype(str))
    keys = ["dataset", "model", "source"]
    facets = list(table.groupby(keys, sort=False))
    schemes = list(dict.fromkeys(table["scheme"]))
    colours = dict(zip(schemes, sns.color_palette("colorblind", len(schemes)), strict=False))
    with rc_style():
        fig, axes = plt.subplots(
            len(facets), 2, figsize=(11.5, 4.2 * len(facets)), layout="constrained", squeeze=False
        )
        for row, (values, part) in enumerate(facets):
            ax, bars = axes[row]
            for i, scheme in enumerate(schemes):
                rows = part[part["scheme"] == scheme]
                if rows.empty:
                    continue
                acc = mean_ci(rows, ["amount"], "test_accuracy")
                size = rows.groupby("amount", sort=False)["stored_bytes"].mean()
                acc = acc.assign(bytes=acc["amount"].map(size)).sort_values("bytes")
                ax.errorbar(acc["bytes"], acc["mean"], yerr=acc["half"].fillna(0), color=colours[scheme],
                            marker=MARKERS[i % len(MARKERS)], capsize=3, label=scheme)  # fmt: skip
            if "parent_accuracy" in part:
                ax.axhline(part.groupby("seed")["parent_accuracy"].first().mean(), color="black", ls="--",
                           lw=1, label="uncompressed")  # fmt: skip
            ax.axvline(part["dense_fp32_bytes"].iloc[0], color="grey", ls=":", lw=1, label="dense fp32")
            log_axis(ax.xaxis)
            ax.set_xlabel("Stored bytes of the payload file (log)")
            ax.set_ylabel("Test accuracy")
            ax.set_title(facet_label(keys, values))
            ax.legend(fontsize=7, loc="lower right")
            _ratio_panel(bars, part)
        fig.suptitle(f"{title} (mean and 95% CI over seeds)")
        return save_figure(fig, path)


def _ratio_panel(ax: plt.Axes, part: pd.DataFrame) -> None:
    """Compression ratio per scheme and amount under each size convention (log scale)."""
    present = [c for c in _RATIOS if c in part]
    means = part.groupby(["scheme", "amount"], sort=False)[present].mean().reset_index()
    long = means.melt(
        id_vars=["scheme", "amount"], value_vars=present, var_name="convention", value_name="ratio"
    )
    long["configuration"] = long["scheme"] + " " + long["amount"].astype(str)
    long["convention"] = long["convention"].map(_RATIOS)
    sns.barplot(long, y="configuration", x="ratio", hue="convention", ax=ax, orient="h",
                palette=["black", "tab:orange", "tab:purple"][: len(present)])  # fmt: skip
    log_axis(ax.xaxis)
    ax.set_xlabel("Compression ratio vs dense fp32 (log)")
    ax.set_ylabel("")
    ax.set_title("What each size convention claims")
    ax.legend(fontsize=7, loc="lower right")


def draw(
    inputs: Mapping[str, str | list[str]], png: str | os.PathLike, info: MethodInfo | None = None
) -> list[Path]:
    """``inputs["table"]``: results/tables/model_compression.csv."""
    table = pd.read_csv(inputs["table"], dtype={"level": str, "amount": str})
    return plot_accuracy_vs_model_bytes(table, png)
