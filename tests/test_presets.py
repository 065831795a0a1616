"""Every preset is a complete, valid study: schema, semantic checks, and a Snakemake dry run."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import yaml
from conftest import ROOT, snakemake

from shrinkflow import artifacts, datasets
from shrinkflow.config import check_study

PRESETS = sorted((ROOT / "workflow/presets").glob("*.yaml"))


def test_there_are_presets_for_every_study():
    names = {p.stem for p in PRESETS}
    for study in ("less-is-more", "adaptcompression", "correctness-preserving"):
        assert {study, f"{study}-mnist5k"} <= names


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_preset_passes_the_semantic_checks(preset):
    check_study(yaml.safe_load(preset.read_text()))


def _fake_prepared(workdir, dataset):
    """Stand-in prepared data (right shapes, tiny N) so a dry run needs no download."""
    spec = datasets.get(dataset)
    h, w, c = spec.image_shape
    arrays = {
        "x_train": np.zeros((4, h, w, c), np.uint8),
        "y_train": np.zeros(4, np.int64),
        "x_test": np.zeros((2, h, w, c), np.uint8),
        "y_test": np.zeros(2, np.int64),
    }
    (workdir / "results/data").mkdir(parents=True, exist_ok=True)
    artifacts.save_npz(workdir / f"results/data/{dataset}.npz", arrays)
    (workdir / f"results/data/{dataset}.json").write_text(json.dumps({"dataset": dataset}))


@pytest.mark.workflow
@pytest.mark.parametrize("preset", [p for p in PRESETS if p.stem != "paper-scale"], ids=lambda p: p.stem)
def test_preset_dry_runs_with_its_own_grid_only(workdir, preset):
    config = yaml.safe_load(preset.read_text())
    for dataset in config["datasets"]:
        _fake_prepared(workdir, dataset)
    proc = snakemake(workdir, "-n", "--configfile", str(preset))
    out = proc.stdout + proc.stderr
    # the preset replaces config.yaml: no job of a method the preset does not name
    methods = {m for grid in config["datasets"].values() for m in grid}
    # the grid's method wildcard (not l0method=, the l0 block's)
    planned = {m[1] for line in out.splitlines() if (m := re.search(r"(?<![\w])method=([^,\s]+)", line))}
    if not methods:  # a rate-distortion-only study: its codec jobs and nothing trained
        assert "rate_distortion" in out and "rule train" not in out
        return
    assert planned and planned <= methods | {"adaptive"}
