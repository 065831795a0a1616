"""A small but complete study: every stage (codecs, training, AdaptCompression, all analyses, robustness,
tables, figures, report) through real Snakemake runs; then one figure rebuilt alone."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import copy_workflow, snakemake, tiny_config, write_config
from test_workflow import planned_jobs

pytestmark = pytest.mark.workflow

FIGURES = [
    "accuracy_vs_bits", "training_curves", "per_class_heatmap", "runtime", "adaptive_fractions",
    "attribution_overlays", "robustness", "boundary_ratios",
]  # fmt: skip


def study_config() -> dict:
    return tiny_config(
        datasets={"mnist5k": {"identity": ["full"], "dct": [8], "jpeg": [20], "png": ["full"]}},
        seeds=[0, 1],
        codecs={"identity": {"view": "pixels"}, "jpeg": {"view": "pixels"}, "png": {"view": "pixels"}},
        adaptive={
            "datasets": ["mnist5k"],
            "stored_k": 16,
            "presets": {"two_level": {"levels": [4, 16], "policy": "median"}},
        },
        analysis={
            "attributions": {"n_images": 6, "ig_steps": 4, "methods": ["saliency", "occlusion"]},
            "boundaries": {"n_points": 4, "n_directions": 2},
            "robustness": {
                "models": ["lenet300", "cnn1d_paper"],
                "methods": ["jpeg"],
                "plain_model": "lenet300",
                "bn_model": "cnn1d_paper",
            },
        },  # fmt: skip
        reproduction={"studies": ["less_is_more", "correctness_preserving"]},
    )


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("full_study"))
    write_config(workdir, study_config())
    snakemake(workdir)
    return workdir


def test_every_table_and_figure_is_built(study):
    for name in FIGURES:
        for ext in ("png", "pdf"):
            path = study / f"results/figures/{name}.{ext}"
            assert path.stat().st_size > 5000, path
    for name in ["runs", "summary", "storage_at_epsilon", "robustness", "batchnorm_amplification",
                 "reproduction_less_is_more", "reproduction_correctness_preserving", "claims_less_is_more",
                 "claims_correctness_preserving"]:  # fmt: skip
        assert (study / f"results/tables/{name}.csv").stat().st_size > 0, name
    for name in ("less_is_more", "correctness_preserving"):
        page = (study / f"results/reports/{name}.md").read_text()
        assert page.startswith(f"# {name}: claims and verdicts") and "accuracy_vs_bits.png" in page


def test_runs_table_joins_training_storage_and_every_analysis(study):
    runs = pd.read_csv(study / "results/tables/runs.csv", dtype={"level": str})
    # 4 grid runs + 1 adaptive run, 2 seeds each
    assert len(runs) == 10
    assert set(runs["method"]) == {"identity", "dct", "jpeg", "png", "adaptive"}
    assert (runs["compressed"] == runs["method"].map(lambda m: "none" if m == "identity" else "data")).all()
    jpeg = runs[runs["method"] == "jpeg"].iloc[0]
    for column in ("test_accuracy", "stored_bytes", "psnr_db", "output_agreement", "features_cka_linear",
                   "attributions_saliency_similarity_mean", "boundaries_distance_ratio"):  # fmt: skip
        assert np.isfinite(jpeg[column]), column
    assert 0 <= jpeg["output_agreement"] <= 1
    # the analysis's accuracy is recomputed from the saved model and must equal the trainer's
    assert jpeg["output_accuracy"] == pytest.approx(jpeg["test_accuracy"], abs=1e-9)
    adaptive = runs[runs["method"] == "adaptive"]
    assert (adaptive["stored_bytes"] < adaptive["stored_bytes_artifact"]).all()
    # AdaptCompression runs are analysed against their reference like every other run
    assert adaptive["output_agreement"].between(0, 1).all()
    assert adaptive["boundaries_distance_ratio"].notna().all()


def test_lossless_control_decides_exactly_like_the_reference(study):
    # png stores the same pixels: same seed, same data -> the same model, so every comparison is perfect
    runs = pd.read_csv(study / "results/tables/runs.csv", dtype={"level": str})
    png = runs[runs["method"] == "png"]
    assert (png["output_agreement"] == 1.0).all() and (png["output_misclassification_cost"] == 0).all()
    assert png["features_cka_linear"].to_numpy() == pytest.approx(1.0, abs=1e-6)
    assert png["attributions_saliency_similarity_mean"].to_numpy() == pytest.approx(1.0, abs=1e-6)
    # the png model is reached through a real encode/decode round trip that rounds to 8 bits, the reference
    # directly: equal up to that rounding (about the bisection tolerance)
    assert png["boundaries_distance_ratio"].to_numpy() == pytest.approx(1.0, abs=0.01)


def test_summary_has_ci_over_two_seeds(study):
    summary = pd.read_csv(study / "results/tables/summary.csv", dtype={"level": str})
    row = summary[(summary["method"] == "dct") & (summary["metric"] == "test_accuracy")].iloc[0]
    assert row["n"] == 2 and row["ci95_low"] <= row["mean"] <= row["ci95_high"]


def test_analysis_files_record_what_they_did(study):
    run = study / "results/analysis/mnist5k/jpeg/20/cnn1d_paper/seed0"
    attributions = json.loads((run / "attributions.json").read_text())
    # jpeg is not differentiable: pixel-view model attributed on its decoded image, both methods run
    assert attributions["attribution_space"] == "decoded_pixels"
    assert attributions["attribution_methods_used"] == ["saliency", "occlusion"]
    dct = json.loads((run.parents[3] / "dct/8/cnn1d_paper/seed0/attributions.json").read_text())
    assert dct["attribution_space"] == "raw_through_transform"
    arrays = np.load(run / "boundaries.npz")
    assert arrays["distances"].shape == (4, 2)


def test_robustness_rows_start_with_clean_accuracy(study):
    rows = pd.read_csv(study / "results/tables/robustness.csv", dtype={"level": str})
    assert set(rows["model"]) == {"lenet300", "cnn1d_paper"}
    clean = rows[rows["method"] == "identity"]
    reference = json.loads(
        (study / "results/runs/mnist5k/identity/full/lenet300/seed0/metrics.json").read_text()
    )
    lenet0 = clean[(clean["model"] == "lenet300") & (clean["seed"] == 0)]["accuracy"].item()
    assert lenet0 == pytest.approx(reference["test_accuracy"], abs=1e-9)


def test_deleting_one_figure_rebuilds_it_alone(study):
    (study / "results/figures/boundary_ratios.png").unlink()
    jobs = planned_jobs(snakemake(study, "-n"))
    assert sorted(rule for rule, _ in jobs if rule != "all") == ["figure_boundary_ratios"]
    snakemake(study, "results/figures/boundary_ratios.png")
    assert (study / "results/figures/boundary_ratios.png").stat().st_size > 5000


def test_report_is_self_contained_html(study):
    snakemake(study, "--report", "results/report.html")
    html = (study / "results/report.html").read_text(errors="replace")
    assert "accuracy_vs_bits.png" in html and "storage_at_epsilon.csv" in html
