"""Tables of the model-compression stage: one row per compressed model, its summary over seeds, the
accuracy-targeted searches, and the data-vs-model comparison at equal stored bytes.

Like :mod:`shrinkflow.aggregate` these take explicit file lists and read each file's identity from its path
(:func:`shrinkflow.layout.parse`); JSON records are flattened the same way (nested keys dotted, analysis
scalars prefixed ``{analysis}_``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from . import layout
from .aggregate import _read_json, check_unique, flatten_record, sort_runs
from .stats import summarize

MODEL_KEYS = ("dataset", "method", "level", "model", "seed", "scheme", "amount")
#: the summary's groups: one row per compressed configuration (seeds pooled) and metric
MODEL_GROUPS = ("dataset", "method", "level", "model", "scheme", "amount", "compressed")


def _amount_order(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(_amount=pd.to_numeric(df["amount"], errors="coerce"))


def collect_models(
    metrics_paths: Iterable[str | os.PathLike], analysis_paths: Iterable[str | os.PathLike] = ()
) -> pd.DataFrame:
    """One row per compressed model: its key, ``compressed`` (``model`` when the run trained on raw data,
    ``both`` when it trained on compressed data too), every metrics.json scalar, every analysis scalar."""
    rows = []
    for path in metrics_paths:
        ids = layout.parse(path, "models")
        flat = {k: v for k, v in flatten_record(_read_json(path)).items() if k not in MODEL_KEYS}
        rows.append({**{k: ids[k] for k in MODEL_KEYS}, **flat})
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=[*MODEL_KEYS, "compressed"])
    check_unique(table, MODEL_KEYS, "compressed-model metrics.json")
    table.insert(7, "compressed", np.where(table["method"] == "identity", "model", "both"))
    per_model: dict[tuple, dict] = {}
    for path in analysis_paths:
        ids = layout.parse(path, "model_analysis")
        key = tuple(str(ids[k]) for k in MODEL_KEYS)
        row = per_model.setdefault(key, dict(zip(MODEL_KEYS, key, strict=True)))
        for name, value in flatten_record(_read_json(path)).items():
            if name not in MODEL_KEYS:
                row[f"{ids['analysis']}_{name}"] = value
    if per_model:
        analyses = pd.DataFrame(list(per_model.values()))
        keyed = table.astype({k: str for k in MODEL_KEYS})
        merged = keyed.merge(analyses, on=list(MODEL_KEYS), how="left", validate="one_to_one")
        table = merged.astype({"seed": int})
    table = _amount_order(table)
    order = ["dataset", "method", "level", "model", "scheme", "_amount", "seed"]
    table = table.sort_values(order, kind="mergesort")
    return table.drop(columns="_amount").reset_index(drop=True)


def models_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, std, n and 95% CI over seeds per compressed configuration and numeric metric."""
    groups = [g for g in MODEL_GROUPS if g in table.columns]
    skip = {*groups, "seed"}
    values = [c for c in table.columns if c not in skip and pd.api.types.is_numeric_dtype(table[c])]
    out = summarize(table, groups, values)
    if out.empty:
        return out
    order = ["dataset", "method", "level", "model", "scheme", "_amount", "metric"]
    out = _amount_order(out).sort_values(order, kind="mergesort")
    return out.drop(columns="_amount").reset_index(drop=True)


def collect_searches(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """One row per accuracy-targeted search: its run and scheme, the chosen amount, whether the target was
    met, and the evaluations Bayesian optimisation and bisection needed."""
    rows = []
    for path in paths:
        ids = layout.parse(path, "searches")
        record = _read_json(path)
        flat = {k: v for k, v in flatten_record(record).items() if k not in ids}
        keys = ("dataset", "method", "level", "model", "seed", "scheme")
        rows.append({**{k: ids[k] for k in keys}, **flat})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return sort_runs(table, ("dataset", "method", "level", "model", "scheme", "seed"))


def data_vs_model(runs: pd.DataFrame, models: pd.DataFrame) -> pd.DataFrame:
    """What a team keeps to reproduce a model — its training data plus the model — against accuracy, for
    data compression (compressed training data, dense model), model compression (raw data, compressed
    model) and both; one row per run or compressed model.

    ``kept_bytes`` = the training split as stored by the run's artifact + the model's bytes (a dense run:
    4 bytes per state_dict entry, the ``dense_fp32_bytes`` of model compression; a compressed model: its
    payload file). ``kept_fraction`` = ``kept_bytes`` over the uncompressed pair (raw uint8 training images
    + the dense model), so data and model compression share one axis.
    """
    train_bytes, raw_train = "splits.train.stored_bytes", "splits.train.raw_bytes"
    need = {"dataset", "method", "level", "model", "seed", "test_accuracy", train_bytes, raw_train}
    missing = need - set(runs.columns)
    if missing:
        raise ValueError(f"runs table lacks column(s) {sorted(missing)}")
    key = ["dataset", "method", "level", "model", "seed"]
    runs = runs[runs["method"] != "adaptive"].assign(level=lambda d: d["level"].astype(str))
    dense = runs["num_parameters"].astype(float) * 4 if "num_parameters" in runs else np.nan
    if len(models) and "dense_fp32_bytes" in models:  # every state_dict entry (buffers too), as measured
        dense = runs["model"].map(models.groupby("model")["dense_fp32_bytes"].first()).fillna(dense)
    base = runs[key].assign(
        kind=np.where(runs["method"] == "identity", "none", "data"), scheme="", amount="",
        data_bytes=runs[train_bytes].astype(float), model_bytes=dense,
        raw_bytes=runs[raw_train].astype(float),
        dense_model_bytes=dense, test_accuracy=runs["test_accuracy"],
    )  # fmt: skip
    parts = [base]
    if len(models):
        joined = models.assign(level=models["level"].astype(str)).merge(
            runs[[*key, train_bytes, raw_train]], on=key, how="left"
        )
        parts.append(joined[key].assign(
            kind=joined["compressed"], scheme=joined["scheme"], amount=joined["amount"].astype(str),
            data_bytes=joined[train_bytes].astype(float), model_bytes=joined["stored_bytes"].astype(float),
            raw_bytes=joined[raw_train].astype(float),
            dense_model_bytes=joined["dense_fp32_bytes"].astype(float),
            test_accuracy=joined["test_accuracy"],
        ))  # fmt: skip
    out = pd.concat(parts, ignore_index=True)
    out["kept_bytes"] = out["data_bytes"] + out["model_bytes"]
    out["kept_fraction"] = out["kept_bytes"] / (out["raw_bytes"] + out["dense_model_bytes"])
    order = ["dataset", "model", "kind", "method", "level", "scheme", "amount", "seed"]
    return out.sort_values(order, kind="mergesort").reset_index(drop=True)
