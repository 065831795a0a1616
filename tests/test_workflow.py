"""End-to-end: snakemake runs a tiny study in a temp dir, caches it, and reruns only what a change affects."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import copy_workflow, snakemake, tiny_config, write_config

pytestmark = pytest.mark.workflow


AGGREGATE_RULES = {
    "table_runs", "table_summary", "table_storage_at_epsilon", "figure_accuracy_vs_bits",
    "figure_training_curves", "figure_per_class_heatmap", "figure_runtime",
}  # fmt: skip


def planned_jobs(proc) -> list[tuple[str, str]]:
    """(rule, wildcards) of every job in a dry run's plan ("" for jobs without wildcards)."""
    jobs: list[tuple[str, str]] = []
    for line in (proc.stdout + proc.stderr).splitlines():
        if m := re.match(r"^(?:localrule|rule) (\w+):", line.strip()):
            jobs.append((m.group(1), ""))
        elif line.strip().startswith("wildcards:") and jobs:
            jobs[-1] = (jobs[-1][0], line.strip()[len("wildcards:") :].strip())
    return jobs


@pytest.fixture(scope="module")
def built_study(tmp_path_factory):
    """The tiny study, built once for the tests of this module."""
    workdir = copy_workflow(tmp_path_factory.mktemp("study"))
    write_config(workdir, tiny_config())
    snakemake(workdir)
    return workdir


def test_every_output_exists_and_parses(built_study):
    data = np.load(built_study / "results/data/mnist5k.npz")
    assert data["x_train"].shape == (4000, 28, 28, 1) and data["x_train"].dtype == np.uint8
    assert data["x_test"].shape == (1000, 28, 28, 1)
    sidecar = json.loads((built_study / "results/data/mnist5k.json").read_text())
    assert sidecar["n_train"] == 4000 and len(sidecar["source_files"][0]["sha256"]) == 64

    for level, side in (("7", 7), ("14", 14)):
        comp = json.loads((built_study / f"results/compressed/mnist5k/downsample/{level}.json").read_text())
        assert comp["stored_bytes"] == 5000 * side * side
        assert comp["bits_per_sample"] == side * side * 8
    raw = json.loads((built_study / "results/compressed/mnist5k/identity/full.json").read_text())
    assert raw["stored_bytes"] == 5000 * 784 and raw["ratio_to_raw"] == 1.0

    for method, level in (("identity", "full"), ("downsample", "7"), ("downsample", "14")):
        run = built_study / f"results/runs/mnist5k/{method}/{level}/cnn1d_paper/seed0"
        metrics = json.loads((run / "metrics.json").read_text())
        assert 0.3 < metrics["test_accuracy"] <= 1.0  # 125 SGD steps are far above chance (0.1)
        assert metrics["bits_per_sample"] > 0 and metrics["test_loss"] > 0
        history = pd.read_csv(run / "history.csv")
        assert list(history["epoch"]) == [1, 2]
        assert {"train_loss", "train_accuracy", "test_loss", "test_accuracy"} <= set(history.columns)
        state = torch.load(run / "model.pt", weights_only=True)
        assert all(isinstance(v, torch.Tensor) for v in state.values())
        # one job trains every seed of a run (group_seeds): its log and benchmark are named seeds
        assert (built_study / f"logs/train/mnist5k/{method}/{level}/cnn1d_paper/seeds.log").stat().st_size > 0
        assert (
            built_study / f"results/benchmarks/train/mnist5k/{method}/{level}/cnn1d_paper/seeds.tsv"
        ).exists()


def test_second_run_has_nothing_to_do(built_study):
    proc = snakemake(built_study, "-n")
    assert planned_jobs(proc) == []
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_runtime_figure_reads_every_benchmark_file(built_study):
    """The runtime figure's inputs are exactly the benchmark files the study's jobs wrote (a new rule's
    benchmark not listed in common.smk's benchmark_targets would go missing from it)."""
    proc = snakemake(built_study, "-n", "-f", "results/figures/runtime.png")
    lines = (proc.stdout + proc.stderr).splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "rule figure_runtime:")
    listed = next(line for line in lines[start:] if line.strip().startswith("input:"))
    inputs = {p.strip() for p in listed.strip().removeprefix("input:").split(",")}
    written = {str(p.relative_to(built_study)) for p in (built_study / "results/benchmarks").rglob("*.tsv")}
    assert inputs == written
    assert any(p.startswith("results/benchmarks/analyze_reference/") for p in written)


def test_changing_one_level_reruns_only_its_jobs(built_study):
    config = tiny_config(datasets={"mnist5k": {"identity": ["full"], "downsample": [7, 10]}})
    write_config(built_study, config, "changed.yaml")
    jobs = planned_jobs(snakemake(built_study, "-n", "--configfile", "changed.yaml"))
    per_run = [(rule, wc) for rule, wc in jobs if rule in ("compress", "train", "analyze_run")]
    assert sorted(rule for rule, _ in per_run) == ["analyze_run", "compress", "train"]
    assert all("level=10" in wildcards for _, wildcards in per_run)
    # everything else is aggregation over the grid, which did change
    assert {rule for rule, _ in jobs} - {"compress", "train", "analyze_run", "all"} <= AGGREGATE_RULES


def test_changing_a_training_setting_reruns_training_only(built_study):
    config = tiny_config(train={"epochs": 1, "batch_size": 128})
    write_config(built_study, config, "changed.yaml")
    jobs = planned_jobs(snakemake(built_study, "-n", "--configfile", "changed.yaml"))
    assert not {rule for rule, _ in jobs} & {"prepare_dataset", "compress"}
    assert len([r for r, _ in jobs if r == "train"]) == 3
