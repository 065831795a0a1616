"""Aggregation: path parsing, tidy runs table from synthetic result folders, summaries, verdict rules."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shrinkflow import aggregate, reproduction
from shrinkflow.aggregate import collect_histories, collect_runs, read_benchmarks, summary, summary_wide
from shrinkflow.reproduction import load_published, reproduction_table, verdict


def _write_json(path: Path, obj) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))
    return str(path)


def _study(root: Path) -> dict[str, list[str]]:
    """Two methods, one level each, two seeds: sidecars, metrics, histories and two analyses per run."""
    res = root / "results"
    compressed = [
        _write_json(
            res / "compressed/mnist5k/downsample/7.json",
            {
                "method": "downsample",
                "level": "7",
                "seed": 0,
                "stored_bytes": 490,
                "bits_per_sample": 39.2,
                "params": {"mode": "bilinear"},
                "splits": {"test": {"psnr_db": 20.5}},
                "ratio_to_raw": 0.0625,
            },
        ),  # fmt: skip
        _write_json(
            res / "compressed/mnist5k/identity/full.json",
            {
                "method": "identity",
                "level": "full",
                "seed": 0,
                "stored_bytes": 7840,
                "bits_per_sample": 627.2,
                "params": {},
                "splits": {"test": {"psnr_db": None}},
                "ratio_to_raw": 1.0,
            },
        ),  # fmt: skip
    ]
    metrics, histories, analyses = [], [], []
    acc = {("identity", 0): 0.9, ("identity", 1): 0.8, ("downsample", 0): 0.7, ("downsample", 1): 0.6}
    for (method, seed), a in acc.items():
        level = "full" if method == "identity" else "7"
        run = res / f"runs/mnist5k/{method}/{level}/cnn1d_paper/seed{seed}"
        metrics.append(
            _write_json(
                run / "metrics.json",
                {
                    "test_accuracy": a,
                    "per_class_accuracy": [a, 1 - a],
                    "input_shape": [1, 7, 7],
                    "view": "pixels",
                    "seed": seed,
                    "method": method,
                    "level": level,
                    "dataset": "mnist5k",
                    "model": "cnn1d_paper",
                    "stored_bytes": 490 if level == "7" else 7840,
                },
            )  # fmt: skip
        )
        (run / "history.csv").write_text(
            f"epoch,train_loss,test_accuracy\n1,{1 + seed},{a - 0.1}\n2,{seed},{a}\n"
        )
        histories.append(str(run / "history.csv"))
        adir = res / f"analysis/mnist5k/{method}/{level}/cnn1d_paper/seed{seed}"
        analyses.append(_write_json(adir / "output.json", {"agreement": a + 0.05, "confusion_matrix": [[1]]}))
        analyses.append(_write_json(adir / "boundaries.json", {"distance_ratio": 2 * a, "censored": False}))
    return {"compressed": compressed, "metrics": metrics, "histories": histories, "analyses": analyses}


EXPECTED_RUNS_CSV = """\
dataset,method,level,view,model,seed,per_class_accuracy_0,per_class_accuracy_1,stored_bytes,test_accuracy,bits_per_sample,codec_seed,params.mode,ratio_to_raw,splits.test.psnr_db,boundaries_censored,boundaries_distance_ratio,output_agreement
mnist5k,downsample,7,pixels,cnn1d_paper,0,0.7,0.30000000000000004,490,0.7,39.2,0,bilinear,0.0625,20.5,False,1.4,0.75
mnist5k,downsample,7,pixels,cnn1d_paper,1,0.6,0.4,490,0.6,39.2,0,bilinear,0.0625,20.5,False,1.2,0.65
mnist5k,identity,full,pixels,cnn1d_paper,0,0.9,0.09999999999999998,7840,0.9,627.2,0,,1.0,,False,1.8,0.9500000000000001
mnist5k,identity,full,pixels,cnn1d_paper,1,0.8,0.19999999999999996,7840,0.8,627.2,0,,1.0,,False,1.6,0.8500000000000001
"""


def test_collect_runs_gives_the_exact_expected_csv(tmp_path):
    files = _study(tmp_path)
    runs = collect_runs(files["metrics"][::-1], files["compressed"], files["analyses"])
    assert runs.to_csv(index=False) == EXPECTED_RUNS_CSV


def test_collect_runs_refuses_analyses_of_unknown_runs_and_duplicates(tmp_path):
    files = _study(tmp_path)
    with pytest.raises(ValueError, match="without metrics.json"):
        collect_runs(files["metrics"][:2], files["compressed"], files["analyses"])
    with pytest.raises(ValueError, match="more than one metrics.json"):
        collect_runs(files["metrics"] + files["metrics"][:1])


def test_collect_runs_refuses_a_file_whose_contents_contradict_its_path(tmp_path):
    bad = _write_json(
        tmp_path / "results/runs/mnist5k/dct/8/cnn1d_paper/seed0/metrics.json", {"method": "jpeg"}
    )
    with pytest.raises(ValueError, match="'jpeg' in the file but 'dct' in the path"):
        collect_runs([bad])


def test_summary_gives_mean_and_t_interval_over_seeds(tmp_path):
    files = _study(tmp_path)
    runs = collect_runs(files["metrics"], files["compressed"], files["analyses"])
    long = summary(runs)
    row = long[(long["method"] == "identity") & (long["metric"] == "test_accuracy")].iloc[0]
    assert row["n"] == 2 and row["mean"] == pytest.approx(0.85)
    std = math.sqrt(0.005)
    assert row["std"] == pytest.approx(std)
    half = math.tan(math.pi * 0.475) * std / math.sqrt(2)
    assert row["ci95_high"] == pytest.approx(0.85 + half)
    assert set(long["metric"]) >= {
        "test_accuracy",
        "bits_per_sample",
        "output_agreement",
        "boundaries_censored",
    }
    assert "codec_seed" not in set(long["metric"]) and "seed" not in set(long["metric"])
    assert long["method"].tolist()[0] == "downsample"  # canonical order
    wide = summary_wide(long, ["test_accuracy", "bits_per_sample"])
    assert wide["bits_per_sample_mean"].tolist() == [39.2, 627.2]
    assert wide["test_accuracy_n"].tolist() == [2, 2]


def test_collect_histories_is_long_with_identity_columns(tmp_path):
    files = _study(tmp_path)
    hist = collect_histories(files["histories"][::-1])
    assert list(hist.columns) == ["dataset", "method", "level", "model", "seed", "epoch", "train_loss",
                                  "test_accuracy"]  # fmt: skip
    assert len(hist) == 8
    assert hist[["method", "seed", "epoch"]].head(3).values.tolist() == [
        ["downsample", 0, 1], ["downsample", 0, 2], ["downsample", 1, 1],
    ]  # fmt: skip


def test_levels_sort_numerically_not_as_text():
    df = pd.DataFrame({"method": ["m"] * 4, "level": ["14", "7", "full", "2.5"]})
    assert aggregate.sort_runs(df)["level"].tolist() == ["2.5", "7", "14", "full"]


def test_read_benchmarks_parses_rule_wildcards_and_na(tmp_path):
    tsv = tmp_path / "results/benchmarks/train/mnist5k/dct/8/cnn1d_paper/seed0.tsv"
    tsv.parent.mkdir(parents=True)
    tsv.write_text(
        "s\th:m:s\tmax_rss\tmax_vms\tcpu_time\n12.5\t0:00:12\t812.3\t2000.1\t11.9\n3.0\t0:00:03\t-\t-\t2.5\n"
    )
    df = read_benchmarks([tsv])
    assert df[["rule", "wildcards", "repeat"]].values.tolist() == [
        ["train", "mnist5k/dct/8/cnn1d_paper/seed0", 0], ["train", "mnist5k/dct/8/cnn1d_paper/seed0", 1],
    ]  # fmt: skip
    assert (
        df["s"].tolist() == [12.5, 3.0] and df["max_rss"].iloc[0] == 812.3 and np.isnan(df["max_rss"].iloc[1])
    )


@pytest.mark.parametrize(
    ("published", "mean", "low", "high", "tol", "expected"),
    [
        (0.98, 0.975, 0.96, 0.99, 0.01, "reproduced"),  # within tolerance
        (0.98, 0.99, np.nan, np.nan, 0.01, "reproduced"),  # exactly at the tolerance, single seed
        (0.98, 0.95, 0.90, 0.99, 0.01, "within CI"),  # 3 points off, but our CI covers it
        (0.98, 0.95, 0.94, 0.96, 0.01, "not reproduced"),
        (0.98, 0.95, np.nan, np.nan, 0.01, "not reproduced"),  # one seed: no CI to fall back on
        (np.nan, 0.95, 0.94, 0.96, 0.01, "no published number"),
        (0.98, np.nan, np.nan, np.nan, 0.01, "not run"),
        (0.98, 0.95, 0.94, 0.96, 0.05, "reproduced"),  # a looser per-row tolerance
    ],
)
def test_verdict_rules(published, mean, low, high, tol, expected):
    assert verdict(published, mean, low, high, tol) == expected


def test_reproduction_table_matches_published_numbers_and_lists_unmatched_runs(tmp_path):
    published = pd.DataFrame(
        {
            "study": ["s", "s", "s", "other"],
            "paper": "P", "table": "Table 1",
            "dataset": ["mnist5k", "mnist5k", "mnist5k", "mnist5k"],
            "method": ["identity", "downsample", "dct", "identity"],
            "level": ["full", "7", "8", "full"],
            "model": "cnn1d_paper",
            "metric": "test_accuracy",
            "value": [0.86, 0.70, 0.9, 0.1],
            "unit": "fraction", "tolerance": [np.nan, 0.2, np.nan, np.nan],
            "source": "paper.md, Table 1", "notes": "",
        }
    )  # fmt: skip
    files = _study(tmp_path)
    long = summary(collect_runs(files["metrics"], files["compressed"], files["analyses"]))
    table = reproduction_table(long, published, "s", include_unmatched=["output_agreement"])
    assert list(table.columns) == list(reproduction.REPRODUCTION_COLUMNS)
    got = table[["method", "metric", "verdict"]].values.tolist()
    assert got == [
        ["dct", "test_accuracy", "not run"],
        ["downsample", "output_agreement", "no published number"],
        ["downsample", "test_accuracy", "reproduced"],  # |0.65 − 0.70| ≤ the row's 0.2
        ["identity", "output_agreement", "no published number"],
        ["identity", "test_accuracy", "reproduced"],  # |0.85 − 0.86| ≤ 0.01
    ]
    assert table.loc[table["method"] == "identity", "difference"].iloc[-1] == pytest.approx(-0.01)
    with pytest.raises(ValueError, match="unknown study 'nope'"):
        reproduction_table(long, published, "nope")


def test_packaged_published_file_has_sources_and_no_invented_numbers():
    pub = load_published()
    assert list(pub.columns) == list(reproduction.PUBLISHED_COLUMNS)
    assert set(pub["study"]) == {
        "less_is_more", "adaptcompression", "correctness_preserving", "coin", "distillation", "condensa",
        "l0_mdl",
    }  # fmt: skip
    # every number must name where it was read; rows without a number must say why
    numbered = pub[pub["value"].notna()]
    assert (numbered["source"].str.strip() != "").all()
    assert (numbered["metric"] != "").all()
    assert (
        pub.loc[pub["value"].isna(), "notes"].str.contains("not found in available sources", case=False).all()
    )
