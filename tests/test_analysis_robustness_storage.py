"""Cross-compression robustness rows, the BatchNorm question, and storage at ε on hand-made tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from shrinkflow.analysis.robustness import (
    accuracy_drops,
    accuracy_on,
    batchnorm_amplification,
    robustness_rows,
)
from shrinkflow.analysis.storage import storage_at_epsilon


class _Echo(torch.nn.Module):
    """Logits are the input itself (N × classes), so predictions are chosen by the test data."""

    def forward(self, x):
        return x


def test_accuracy_on_counts_argmax_hits():
    x = np.eye(3, dtype=np.float32)[[0, 1, 2, 2, 1]]
    assert accuracy_on(_Echo(), x, np.array([0, 1, 2, 0, 0])) == 0.6
    assert accuracy_on(_Echo(), x, np.array([0, 1, 2, 0, 0]), batch_size=2) == 0.6


def test_robustness_rows_are_tidy_and_accept_a_stream():
    x_clean = np.eye(2, dtype=np.float32)[[0, 1, 1, 0]]
    labels = np.array([0, 1, 1, 0])
    sets = {("identity", "full"): x_clean, ("jpeg", "10"): x_clean[:, ::-1].copy()}
    rows = robustness_rows(_Echo(), sets, labels, model_name="cnn2d", seed=3)
    assert rows == [
        {"method": "identity", "level": "full", "model": "cnn2d", "seed": 3, "accuracy": 1.0},
        {"method": "jpeg", "level": "10", "model": "cnn2d", "seed": 3, "accuracy": 0.0},
    ]
    streamed = robustness_rows(_Echo(), ((m, lv, x) for (m, lv), x in sets.items()), labels, "cnn2d", 3)
    assert streamed == rows


def _robustness_table() -> pd.DataFrame:
    rows = []
    for model, clean, noisy in (
        ("cnn2d", (0.95, 0.93), (0.90, 0.86)),
        ("cnn2d_bn", (0.96, 0.94), (0.80, 0.84)),
    ):
        for seed in (0, 1):
            rows.append(dict(method="identity", level="full", model=model, seed=seed, accuracy=clean[seed]))
            rows.append(dict(method="jpeg", level="10", model=model, seed=seed, accuracy=noisy[seed]))
    return pd.DataFrame(rows)


def test_accuracy_drop_is_relative_to_the_same_model_and_seed():
    drops = accuracy_drops(_robustness_table())
    jpeg = drops[drops["method"] == "jpeg"].set_index(["model", "seed"])["accuracy_drop"]
    assert jpeg[("cnn2d", 0)] == pytest.approx(0.05) and jpeg[("cnn2d_bn", 1)] == pytest.approx(0.10)


def test_batchnorm_amplification_compares_mean_drops():
    out = batchnorm_amplification(_robustness_table())
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["method"], row["level"]) == ("jpeg", "10")
    assert row["drop_plain_mean"] == pytest.approx(0.06)  # (0.05 + 0.07) / 2
    assert row["drop_bn_mean"] == pytest.approx(0.13)  # (0.16 + 0.10) / 2
    assert row["drop_difference"] == pytest.approx(0.07)
    assert row["n_seeds_plain"] == 2 and row["n_seeds_bn"] == 2


def test_accuracy_drops_name_a_model_without_clean_accuracy():
    table = _robustness_table()
    table = table[~((table["model"] == "cnn2d") & (table["method"] == "identity") & (table["seed"] == 1))]
    with pytest.raises(ValueError, match="no clean .* \\[\\('cnn2d', 1\\)\\]"):
        accuracy_drops(table)


def _storage_table(ratio_column: bool = True) -> pd.DataFrame:
    # (method, level, ratio_to_raw, accuracies over seeds 0 and 1)
    spec = [
        ("identity", "full", 1.0, (0.90, 0.92)),  # reference mean 0.91
        ("jpeg", "10", 0.05, (0.80, 0.82)),  # 0.81: never within 0.05
        ("jpeg", "50", 0.10, (0.88, 0.90)),  # 0.89: exactly at 0.91 − 0.02, qualifies for both ε
        ("jpeg", "90", 0.20, (0.91, 0.93)),  # 0.92: qualifies but is larger
        ("downsample", "7", 0.0625, (0.70, 0.72)),  # 0.71
        ("downsample", "14", 0.25, (0.86, 0.88)),  # 0.87: within 0.05 only
    ]
    rows = []
    for method, level, ratio, accs in spec:
        for seed, acc in enumerate(accs):
            row = dict(method=method, level=level, seed=seed, accuracy=acc)
            if ratio_column:
                row["ratio_to_raw"] = ratio
            else:
                row.update(stored_bytes=int(ratio * 1600), raw_bytes=1600)
            rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("ratio_column", [True, False])
def test_storage_at_epsilon_picks_the_smallest_qualifying_level(ratio_column):
    out = storage_at_epsilon(_storage_table(ratio_column), epsilons=(0.02, 0.05))
    assert list(out.columns) == [
        "method", "epsilon", "level", "stored_percent", "stored_percent_tables_once", "accuracy_mean",
        "reference_accuracy_mean",
    ]  # fmt: skip
    # no codec with per-image tables here: both conventions agree
    assert out["stored_percent"].equals(out["stored_percent_tables_once"])
    got = {(r.method, r.epsilon): r for r in out.itertuples()}
    assert set(got) == {("downsample", 0.02), ("downsample", 0.05), ("jpeg", 0.02), ("jpeg", 0.05)}
    assert got[("jpeg", 0.02)].level == "50" and got[("jpeg", 0.02)].stored_percent == pytest.approx(10.0)
    assert got[("jpeg", 0.05)].level == "50" and got[("jpeg", 0.05)].accuracy_mean == pytest.approx(0.89)
    assert got[("downsample", 0.05)].level == "14"
    assert got[("downsample", 0.05)].stored_percent == pytest.approx(25.0)
    none = got[("downsample", 0.02)]
    assert pd.isna(none.level) and math.isnan(none.stored_percent) and math.isnan(none.accuracy_mean)
    assert all(r.reference_accuracy_mean == pytest.approx(0.91) for r in out.itertuples())


def test_storage_at_epsilon_uses_a_reference_per_model():
    a = _storage_table().assign(model="cnn1d")
    b = _storage_table().assign(model="cnn2d")
    b.loc[b["method"] == "identity", "accuracy"] = 0.99  # a much better reference: nothing qualifies at 0.02
    out = storage_at_epsilon(pd.concat([a, b]), epsilons=(0.02,))
    jpeg = out[out["method"] == "jpeg"].set_index("model")
    assert jpeg.loc["cnn1d", "level"] == "50" and pd.isna(jpeg.loc["cnn2d", "level"])


def test_storage_at_epsilon_requires_the_reference():
    table = _storage_table()
    with pytest.raises(ValueError, match="no rows of the reference method 'identity'"):
        storage_at_epsilon(table[table["method"] != "identity"])


def test_storage_at_epsilon_reports_jpeg_with_tables_once_beside_files():
    table = _storage_table(True)
    jpeg_rows = table["method"] == "jpeg"
    table["ratio_to_raw_tables_once_per_split"] = np.where(jpeg_rows, table["ratio_to_raw"] / 4, np.nan)
    out = storage_at_epsilon(table, epsilons=(0.05,))
    jpeg = out[out["method"] == "jpeg"].iloc[0]
    assert jpeg["level"] == "50"  # the same level as stored
    assert jpeg["stored_percent"] == pytest.approx(10.0)
    assert jpeg["stored_percent_tables_once"] == pytest.approx(2.5)
    other = out[out["method"] == "downsample"].iloc[0]
    assert other["stored_percent_tables_once"] == other["stored_percent"]
