"""The ℓ0 stage from files to files: strengths from paths, a classifier run whose payload file is the stored
size it reports (and is the same file twice), a teacher–student run, the analyses against the dense twin,
the tables and the three figures."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pandas as pd
import pytest
from conftest import toy_data

from shrinkflow import artifacts, l0
from shrinkflow.compress import compress_dataset
from shrinkflow.l0_stage import (
    CLASSIFIER_KEYS,
    STRENGTH_FIELD,
    analyze_classifier,
    l0_summary,
    l0_table,
    strength_key,
    strength_settings,
    teacher_student_table,
    train_classifier,
    train_teacher_student,
)
from shrinkflow.plots import l0_description_length, l0_frontier, l0_sample_efficiency
from shrinkflow.plots.l0_frontier import pareto_front

TRAIN = {"epochs": 3, "batch_size": 32, "lr": 1e-2, "optimizer": "adam", "weight_decay": 0.0,
         "schedule": "constant"}  # fmt: skip
SETTINGS = {"finetune_epochs": 1, "rgp_samples": 50, "validation_fraction": 0.1}
OUTPUT = {"output": {"distance": "zero_one", "two_level_within": 1.0, "two_level_across": 2.0}}
REGRESSION = {"epochs": 30, "batch_size": 500, "lr": 1e-3, "n_val": 100, "n_test": 200, "sigma": 0.08,
              "student_sizes": [2, 8, 8, 1]}  # fmt: skip
TIMING = ("seconds", "load_seconds", "train_seconds")


def test_every_method_has_a_strength_field_it_reads():
    assert set(STRENGTH_FIELD) == set(l0.names())
    for method, field in STRENGTH_FIELD.items():
        assert field is None or field in l0.get(method).settings


def test_strength_settings_set_the_methods_field_from_the_path():
    base = {"alpha": 3.0, "rho": 0.5, "finetune_epochs": 4, "validation_fraction": 0.2}
    assert strength_settings("pmmp", "10", base).alpha == 10.0
    drr = strength_settings("drr", "0.1", base)
    assert (drr.alpha, drr.rho, drr.finetune_epochs) == (0.1, 0.5, 4)
    assert strength_settings("l2", "0.01", base).rho == 0.01
    assert strength_settings("magnitude", "0.9", base).sparsity == 0.9
    assert strength_settings("tamade", "0", base).alpha == 3.0  # nothing swept, the block as given
    assert [strength_key(v) for v in ("10.0", 10, 0.1, "0", 1e-5)] == ["10", "10", "0.1", "0", "1e-05"]


@pytest.mark.parametrize(
    ("method", "strength", "message"),
    [
        ("tamade", "0.1", r"tamade has no strength to sweep, got strength '0.1'; allowed: '0'"),
        ("dense", "1", r"dense has no strength .* allowed: '0'"),
        ("drr", "lots", r"drr: strength 'lots' is not a number"),
        ("drr", "-1", r"drr: alpha = -1.0 is not allowed; alpha must be a finite number ≥ 0"),
        ("magnitude", "1", r"magnitude: sparsity = 1.0 is not allowed; sparsity must be .* \[0, 1\)"),
        ("lasso", "1", r"unknown ℓ0 method 'lasso'; allowed: \['pmmp'"),
    ],
)
def test_strength_settings_name_the_bad_value_and_what_is_allowed(method, strength, message):
    with pytest.raises(ValueError, match=message):
        strength_settings(method, strength, {})


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A prepared toy dataset, its identity artifact and three ℓ0 runs (dense twin, DRR, magnitude)."""
    root = tmp_path_factory.mktemp("l0")
    (x, y), (xs, ys) = toy_data(160, (6, 6, 1), 3, seed=0), toy_data(60, (6, 6, 1), 3, seed=1)
    data = {"x_train": np.uint8(np.clip(x * 255, 0, 255)), "y_train": y.astype(np.int64),
            "x_test": np.uint8(np.clip(xs * 255, 0, 255)), "y_test": ys.astype(np.int64),
            "class_names": np.asarray(["a", "b", "c"])}  # fmt: skip
    artifacts.save_npz(root / "data.npz", data)
    arrays, sidecar = compress_dataset(data, "identity", "full", lzma_preset=None)
    artifacts.save_npz(root / "full.npz", arrays)
    artifacts.write_json(root / "full.json", {**sidecar, "num_classes": 3})
    for method, strength in (("dense", "0"), ("drr", "0.1"), ("magnitude", "0.5")):
        classifier(root, method, strength)
    inputs = {"data": root / "data.npz", "npz": root / "full.npz", "sidecar": root / "full.json",
              "model": root / "drr_0.1.bin", "reference_model": root / "dense_0.bin"}  # fmt: skip
    run = {"dataset": "toy", "model": "mlp_w16_d1", "seed": "0", "l0method": "drr", "strength": "0.1"}
    outputs = [str(root / "analysis" / "output.json")], [str(root / "analysis" / "output.npz")]
    analyze_classifier({k: str(v) for k, v in inputs.items()}, *outputs, run, ["output"], OUTPUT)
    return root


def classifier(root, method, strength, name=None):
    name = name or f"{method}_{strength}"
    outputs = {k: str(root / f"{name}.{ext}") for k, ext in (("payload", "bin"), ("metrics", "json"),
                                                             ("history", "csv"))}  # fmt: skip
    run = {"dataset": "toy", "model": "mlp_w16_d1", "seed": "0", "l0method": method, "strength": strength}
    inputs = {"npz": str(root / "full.npz"), "sidecar": str(root / "full.json")}
    return train_classifier(inputs, outputs, run, TRAIN, SETTINGS, threads=1)


def test_the_payload_file_is_the_stored_size_and_the_run_repeats_exactly(folder):
    metrics = json.loads((folder / "drr_0.1.json").read_text())
    size = os.path.getsize(folder / "drr_0.1.bin")
    assert metrics["stored_bytes"] == metrics["model_bytes_stored"] == size
    assert metrics["model_bytes_four_per_nonzero"] == 4 * metrics["nonzero_parameters"]
    assert metrics["compression_ratio_stored"] == pytest.approx(metrics["dense_fp32_bytes"] / size)
    assert metrics["dense_parameter_bytes"] == 4 * metrics["total_parameters"] == 4 * 643
    assert metrics["test_dl_bytes_stored"] == pytest.approx(size + metrics["test_data_bytes"])
    # a seeded tenth of the 160 training images is TAMADE's validation split
    assert (metrics["n_train"], metrics["n_val"], metrics["n_test"]) == (144, 16, 60)
    assert (metrics["l0_alpha"], metrics["strength_field"]) == (0.1, "alpha")
    assert (metrics["train_optimizer"], metrics["train_batch_size"]) == ("adam", 32)
    assert set(pd.read_csv(folder / "drr_0.1.csv")["phase"]) == {"regularised", "finetune"}
    again = classifier(folder, "drr", "0.1", name="again")
    assert (folder / "again.bin").read_bytes() == (folder / "drr_0.1.bin").read_bytes()
    assert {k: v for k, v in again.items() if k not in TIMING and k != "payload_file"} == {
        k: v for k, v in metrics.items() if k not in TIMING and k != "payload_file"
    }
    dense = json.loads((folder / "dense_0.json").read_text())
    assert dense["sparsity"] == 0.0 and dense["compression_ratio_four_per_nonzero"] == 1.0


def test_analyses_judge_the_sparse_model_against_its_dense_twin(folder):
    summary = json.loads((folder / "analysis" / "output.json").read_text())
    assert (summary["l0method"], summary["strength"], summary["analysis"]) == ("drr", "0.1", "output")
    metrics = json.loads((folder / "drr_0.1.json").read_text())
    dense = json.loads((folder / "dense_0.json").read_text())
    assert summary["accuracy"] == pytest.approx(metrics["test_accuracy"])
    assert summary["reference_accuracy"] == pytest.approx(dense["test_accuracy"])


def test_tables_have_one_row_per_run_with_the_analyses(folder):
    paths = [folder / f"{n}.json" for n in ("magnitude_0.5", "dense_0", "drr_0.1")]
    analyses = sorted((folder / "analysis").glob("*.json"))
    table = l0_table(paths, analyses)
    assert list(table.columns[:7]) == [*CLASSIFIER_KEYS, "strength_field", "strength_value"]
    assert list(table["method"]) == ["dense", "drr", "magnitude"]
    assert table["model_bytes_stored"].tolist() == [os.path.getsize(p.with_suffix(".bin")) for p in
                                                    sorted(paths)]  # fmt: skip
    drr = table.set_index("method").loc["drr"]
    assert drr["output_accuracy"] == pytest.approx(drr["test_accuracy"])
    assert math.isnan(table.set_index("method").loc["dense", "output_accuracy"])
    summary = l0_summary(table)
    assert summary["seeds"].tolist() == [1, 1, 1]
    assert summary["test_accuracy_mean"].tolist() == table["test_accuracy"].tolist()
    with pytest.raises(ValueError, match="a second metrics.json of the ℓ0 run"):
        l0_table([*paths, paths[0]])
    with pytest.raises(ValueError, match="no metrics.json of the ℓ0 run"):
        l0_table(paths[:2], analyses)


def test_teacher_student_run_writes_its_payload_and_a_table_row(tmp_path):
    for samples in ("40", "80"):
        outputs = {k: str(tmp_path / f"{samples}.{ext}") for k, ext in (("payload", "bin"),
                   ("metrics", "json"), ("history", "csv"))}  # fmt: skip
        run = {"samples": samples, "l0method": "drr", "strength": "0.01", "seed": "0"}
        metrics = train_teacher_student(outputs, run, REGRESSION, {"finetune_epochs": 2, "rgp_samples": 20})
        assert metrics["stored_bytes"] == os.path.getsize(outputs["payload"]) == metrics["model_bytes_stored"]
        assert (metrics["n_train"], metrics["n_val"], metrics["n_test"]) == (int(samples), 100, 200)
        assert metrics["teacher_parameters"] == 2 * 5 + 5 + 5 * 8 + 8 + 8 + 1
        assert metrics["total_parameters"] == 2 * 8 + 8 + 8 * 8 + 8 + 8 + 1
        assert metrics["noise_variance"] == pytest.approx(0.0064)
    table = teacher_student_table(sorted(tmp_path.glob("*.json"), reverse=True))
    assert table["samples"].tolist() == [40, 80] and set(table["method"]) == {"drr"}
    assert {"test_mse", "teacher_test_mse", "model_bytes_stored", "test_dl_bytes_stored"} <= set(table)


def test_pareto_front_keeps_the_points_nothing_beats():
    x, y = np.array([10.0, 20.0, 30.0, 5.0, 20.0]), np.array([0.8, 0.9, 0.85, 0.5, 0.7])
    assert pareto_front(x, y).tolist() == [3, 0, 1]


def _synthetic(kind: str) -> pd.DataFrame:
    rows = []
    sweeps = {"dense": [0.0], "drr": [0.01, 0.1, 1.0], "magnitude": [0.5, 0.9]}
    for method, strengths in sweeps.items():
        for strength in strengths:
            for seed in (0, 1):
                nonzero = 10_000 * (1 - min(strength, 0.95)) + 100 * seed
                loss = 0.1 + 0.05 * strength + 0.01 * seed
                row = {"method": method, "strength": strength, "strength_value": strength, "seed": seed,
                       "strength_field": {"drr": "alpha", "magnitude": "sparsity"}.get(method)}  # fmt: skip
                if kind == "l0":
                    row.update(dataset="toy", model="lenet300", test_loss=loss, test_accuracy=1 - loss,
                               nonzero_parameters=nonzero, model_bytes_four_per_nonzero=4 * nonzero,
                               model_bytes_stored=5 * nonzero + 700, n_test=1000)  # fmt: skip
                    rows.append(row)
                else:
                    for n in (100, 300, 1000):
                        mse = 0.0064 + (1 + strength) / n + 1e-4 * seed
                        rows.append({**row, "samples": n, "noise_variance": 0.0064, "test_mse": mse})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("module", "kind"),
    [(l0_description_length, "l0"), (l0_frontier, "l0"), (l0_sample_efficiency, "teacher_student")],
)
def test_each_figure_draws_a_png_and_a_pdf(tmp_path, module, kind):
    csv = tmp_path / f"{kind}.csv"
    _synthetic(kind).to_csv(csv, index=False)
    paths = module.draw({"table": str(csv)}, tmp_path / "figure.png")
    assert [p.name for p in paths] == ["figure.png", "figure.pdf"]
    assert paths[0].read_bytes().startswith(b"\x89PNG") and paths[0].stat().st_size > 5000
    pd.DataFrame(columns=["method"]).to_csv(csv, index=False)  # no rows: a "No data" figure, not a crash
    assert module.draw({"table": str(csv)}, tmp_path / "empty.png")[0].exists()
