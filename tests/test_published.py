"""The packaged published-results file: every row parses, no duplicates, each paper table complete."""

from __future__ import annotations

import math

import pytest

from shrinkflow.reproduction import PUBLISHED_COLUMNS, load_published

UNITS = {"fraction", "percent", "seconds", "bits", "bits_per_pixel", "dB", "count", "ratio"}
STUDIES = {
    "less_is_more", "adaptcompression", "correctness_preserving", "coin", "distillation", "condensa",
    "l0_mdl",
}  # fmt: skip
KEY = ["study", "table", "dataset", "method", "level", "model", "metric"]

#: (study, table) -> number of published values entered (one row per value)
EXPECTED_COUNTS = {
    ("less_is_more", "Table 1"): 12,  # 4 methods x (accuracy, training time, bits/sample)
    ("adaptcompression", "Table 1"): 10,  # 5 configurations x (accuracy, training time)
    ("correctness_preserving", "Table I"): 42,  # 3 codecs x 7 networks x 2 epsilons
    # 11 zfp precisions (2..12) + raw images = 12 printed rows, x 5 networks
    ("correctness_preserving", "Table II"): 60,
    ("coin", "results.json (Kodak curve)"): 12,  # 6 points x (PSNR, bpp)
    ("coin", "architectures"): 5,  # parameter counts of the 5 listed SIRENs
    ("coin", "baselines (Kodak)"): 32,  # (6 JPEG + 5 JPEG2000 + 5 BPG points) x (PSNR, bpp)
    ("distillation", "MNIST (text)"): 3,  # teacher, student alone, distilled student
    ("condensa", "headline (IEEE Micro / arXiv v2)"): 2,
    ("condensa", "headline (arXiv v1)"): 2,
    ("condensa", "LeNet-5 tutorial"): 2,
    ("l0_mdl", "leaderboard (secondary)"): 1,  # MNIST compression ratio; the paper gives figures only
}


@pytest.fixture(scope="module")
def pub():
    return load_published()


def test_columns_are_the_declared_ones(pub):
    assert list(pub.columns) == list(PUBLISHED_COLUMNS)


def test_every_row_parses(pub):
    assert len(pub) > 0
    for row in pub.itertuples(index=False):
        where = f"{row.study} {row.table} {row.method} {row.level} {row.model} {row.metric}"
        assert isinstance(row.value, float) and math.isfinite(row.value), where
        assert row.unit in UNITS, where
        assert row.metric.strip() != "", where
        assert row.study in STUDIES, where
        for col in ("paper", "table", "source", "notes", "method"):
            assert getattr(row, col).strip() != "", f"{where}: empty {col}"
        assert math.isnan(row.tolerance) or row.tolerance >= 0, where


def test_no_duplicate_keys(pub):
    dup = pub[pub.duplicated(KEY, keep=False)]
    assert dup.empty, dup[KEY].to_string()


@pytest.mark.parametrize(("study", "table"), list(EXPECTED_COUNTS))
def test_each_table_is_complete(pub, study, table):
    rows = pub[(pub["study"] == study) & (pub["table"] == table)]
    assert len(rows) == EXPECTED_COUNTS[(study, table)]


def test_no_rows_outside_the_listed_tables(pub):
    assert set(zip(pub["study"], pub["table"], strict=True)) == set(EXPECTED_COUNTS)
    assert len(pub) == sum(EXPECTED_COUNTS.values())


def test_accuracies_are_fractions(pub):
    acc = pub[pub["metric"] == "test_accuracy"]
    assert len(acc) == 4 + 5 + 60
    assert (acc["unit"] == "fraction").all()
    assert acc["value"].between(0, 1).all(), acc.loc[~acc["value"].between(0, 1), KEY].to_string()


def test_table_grids_are_full(pub):
    lim = pub[pub["study"] == "less_is_more"]
    assert sorted(set(zip(lim["method"], lim["level"], strict=True))) == [
        ("binary_then_resize", "16"), ("dct", "16"), ("downsample", "16"), ("random_projection", "256"),
    ]  # fmt: skip
    assert set(lim["metric"]) == {"test_accuracy", "train_seconds", "bits_per_sample"}
    ada = pub[pub["study"] == "adaptcompression"]
    assert set(ada["method"]) == {"adaptive"}
    presets = {"fixed8", "two_level_8_16", "two_level_4_16", "fixed_threshold", "dynamic_ema"}
    assert set(ada["level"]) == presets
    t1 = pub[(pub["study"] == "correctness_preserving") & (pub["table"] == "Table I")]
    assert t1.groupby(["method", "metric"]).size().eq(7).all() and t1["model"].nunique() == 7
    assert set(t1["metric"]) == {"stored_percent_at_epsilon_2", "stored_percent_at_epsilon_5"}
    assert (t1["unit"] == "percent").all()
    t2 = pub[(pub["study"] == "correctness_preserving") & (pub["table"] == "Table II")]
    zfp = t2[t2["method"] == "zfp_precision"]
    assert sorted(set(zfp["level"]), key=int) == [str(p) for p in range(2, 13)]
    assert zfp["notes"].str.contains("coefficients view").all()
    assert set(t2.loc[t2["method"] == "identity", "level"]) == {"full"}
    assert t2.groupby("level").size().eq(5).all()


def test_spot_values_as_printed(pub):
    def value(**sel):
        rows = pub
        for k, v in sel.items():
            rows = rows[rows[k] == v]
        assert len(rows) == 1, sel
        return rows["value"].iloc[0]

    assert value(study="less_is_more", method="downsample", metric="test_accuracy") == pytest.approx(0.9863)
    assert value(study="less_is_more", method="binary_then_resize", metric="bits_per_sample") == 256
    assert value(study="adaptcompression", level="dynamic_ema", metric="train_seconds") == 808.59
    assert value(table="Table I", method="zfp_rate", model="alexnet",
                 metric="stored_percent_at_epsilon_5") == 1.5  # fmt: skip
    assert value(table="Table II", level="7", model="densenet_bc_l100_k12") == pytest.approx(0.912)
    assert value(table="Table II", level="full", model="wrn_28_10_drop") == pytest.approx(0.9612)
    assert value(study="coin", method="coin", level="1.209", metric="psnr_db") == 30.644
    assert value(study="distillation", method="distillation") == 74
    assert value(study="condensa", table="headline (arXiv v1)", metric="memory_reduction_factor") == 65
