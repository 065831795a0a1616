"""Accuracy drops of reference models on compressed test sets, and whether BatchNorm amplifies them.

:func:`accuracy_drops` relates each robustness row (method, level, model, seed, accuracy) to the same model's
clean accuracy (the ``identity`` method); :func:`batchnorm_amplification` asks whether BatchNorm amplifies
compression noise: the drop of ``cnn2d_bn`` minus the drop of ``cnn2d`` per method and level (positive: the
BatchNorm model loses more). pandas only: the table jobs that call these run without torch.
"""

from __future__ import annotations

import pandas as pd

ROW_COLUMNS = ("method", "level", "model", "seed", "accuracy")


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
