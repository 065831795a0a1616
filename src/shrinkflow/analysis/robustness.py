"""Cross-compression robustness: how does a model trained on raw data fare on compressed test sets?

The reference model is evaluated on the test set as decoded by each codec and level; the tidy rows
(method, level, model, seed, accuracy) feed tables and figures. :func:`accuracy_drops` relates each row to
the same model's clean accuracy (the ``identity`` method), and :func:`batchnorm_amplification` asks whether
BatchNorm amplifies compression noise: the drop of ``cnn2d_bn`` minus the drop of ``cnn2d`` per method and
level (positive: the BatchNorm model loses more).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

from ._common import BATCH_ROWS, batched_logits, eval_mode

ROW_COLUMNS = ("method", "level", "model", "seed", "accuracy")


def accuracy_on(
    model: torch.nn.Module | Callable[[torch.Tensor], torch.Tensor],
    x_decoded: np.ndarray,
    labels: np.ndarray,
    batch_size: int = BATCH_ROWS,
) -> float:
    """Top-1 accuracy of ``model`` on decoded inputs (float32, the model's view) with integer ``labels``."""
    labels = np.asarray(labels, dtype=np.int64)
    if labels.ndim != 1 or labels.shape[0] != np.shape(x_decoded)[0]:
        raise ValueError(
            f"labels must be 1-D with one entry per image ({np.shape(x_decoded)[0]}), "
            f"got shape {labels.shape}"
        )
    with eval_mode(model):
        pred = batched_logits(model, x_decoded, batch_size).argmax(dim=1).numpy()
    return float(np.mean(pred == labels))


def robustness_rows(
    model: torch.nn.Module | Callable[[torch.Tensor], torch.Tensor],
    test_sets: Mapping[tuple[str, str], np.ndarray] | Iterable[tuple[str, str, np.ndarray]],
    labels: np.ndarray,
    model_name: str,
    seed: int,
    batch_size: int = BATCH_ROWS,
) -> list[dict[str, Any]]:
    """One tidy row per decoded test set: ``{method, level, model, seed, accuracy}``.

    ``test_sets`` maps (method, level) to the decoded test images, or yields (method, level, images) so that
    a caller can decode one set at a time and keep memory flat.
    """
    items = test_sets.items() if isinstance(test_sets, Mapping) else ((k[:2], k[2]) for k in test_sets)
    rows = []
    for (method, level), x_decoded in items:
        accuracy = accuracy_on(model, x_decoded, labels, batch_size)
        rows.append(
            {
                "method": str(method),
                "level": str(level),
                "model": model_name,
                "seed": int(seed),
                "accuracy": accuracy,
            }
        )
    return rows


def accuracy_drops(rows: pd.DataFrame, clean_method: str = "identity") -> pd.DataFrame:
    """Add ``clean_accuracy`` and ``accuracy_drop = clean_accuracy − accuracy`` per (model, seed).

    The clean accuracy is the same model and seed's accuracy on the ``clean_method`` test set; a model/seed
    without such a row raises, naming it.
    """
    missing = set(ROW_COLUMNS) - set(rows.columns)
    if missing:
        raise ValueError(f"robustness rows lack column(s) {sorted(missing)}; expected {list(ROW_COLUMNS)}")
    clean = rows[rows["method"] == clean_method]
    if clean.duplicated(["model", "seed"]).any():
        raise ValueError(f"more than one {clean_method!r} row for some (model, seed)")
    clean = clean[["model", "seed", "accuracy"]].rename(columns={"accuracy": "clean_accuracy"})
    out = rows.merge(clean, on=["model", "seed"], how="left", validate="many_to_one")
    lacking = out.loc[out["clean_accuracy"].isna(), ["model", "seed"]].drop_duplicates()
    if len(lacking):
        raise ValueError(
            f"no clean ({clean_method!r}) accuracy for (model, seed) "
            f"{lacking.to_records(index=False).tolist()}"
        )
    out["accuracy_drop"] = out["clean_accuracy"] - out["accuracy"]
    return out


def batchnorm_amplification(
    rows: pd.DataFrame, plain_model: str = "cnn2d", bn_model: str = "cnn2d_bn", clean_method: str = "identity"
) -> pd.DataFrame:
    """Per (method, level): mean and std over seeds of each model's accuracy drop and their difference.

    Columns: method, level, drop_plain_mean, drop_plain_std, drop_bn_mean, drop_bn_std, drop_difference
    (bn − plain; > 0 means BatchNorm amplifies the compression noise), n_seeds_plain, n_seeds_bn.
    """
    drops = accuracy_drops(rows[rows["model"].isin([plain_model, bn_model])], clean_method)
    drops = drops[drops["method"] != clean_method]
    for name in (plain_model, bn_model):
        if not (drops["model"] == name).any():
            raise ValueError(f"no robustness rows for model {name!r}; found {sorted(rows['model'].unique())}")
    stats = (
        drops.groupby(["method", "level", "model"], sort=True)["accuracy_drop"]
        .agg(["mean", "std", "count"])
        .unstack("model")
    )
    out = pd.DataFrame(
        {
            "drop_plain_mean": stats[("mean", plain_model)],
            "drop_plain_std": stats[("std", plain_model)],
            "drop_bn_mean": stats[("mean", bn_model)],
            "drop_bn_std": stats[("std", bn_model)],
        }
    )
    out["drop_difference"] = out["drop_bn_mean"] - out["drop_plain_mean"]
    out["n_seeds_plain"] = stats[("count", plain_model)].fillna(0).astype(int)
    out["n_seeds_bn"] = stats[("count", bn_model)].fillna(0).astype(int)
    return out.reset_index()
