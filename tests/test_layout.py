"""The results layout: every path pattern written once, filled and parsed back by one module."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from shrinkflow import aggregate, layout


def test_paths_fill_every_stage_and_parse_back():
    cases = {
        "data": dict(dataset="mnist5k", ext="npz"),
        "compressed": dict(dataset="mnist5k", method="jpeg", level="50", ext="json"),
        "runs": dict(dataset="cifar10", method="zfp_rate", level="4.5", model="cnn2d_bn", seed=12,
                     file="metrics.json"),
        "reference_analysis": dict(dataset="mnist5k", model="cnn1d_paper", seed=2),
        "analysis": dict(dataset="mnist5k", method="dct", level="8", model="cnn1d_paper", seed=0,
                         analysis="boundaries", ext="json"),
        "models": dict(dataset="mnist5k", method="identity", level="full", model="lenet300", seed=1,
                       scheme="prune_global", amount="0.9", file="model.bin"),
        "model_analysis": dict(dataset="mnist5k", method="dct", level="8", model="cnn1d_paper", seed=2,
                               scheme="quantize_int", amount="4", analysis="output", ext="json"),
        "searches": dict(dataset="mnist5k", method="identity", level="full", model="lenet300", seed=0,
                         scheme="prune_global", file="search.json"),
        "students": dict(dataset="mnist5k", method="identity", level="full", model="mlp_w128_d3", seed=1,
                         rate="d100_k9", training="distilled", file="model.bin"),
        "student_analysis": dict(dataset="mnist5k", method="identity", level="full", model="mlp_w32_d2",
                                 seed=0, rate="dense", training="plain", analysis="features", ext="json"),
        "robustness": dict(dataset="mnist5k", model="cnn2d", seed=3),
        "l0": dict(dataset="mnist5k", model="lenet300", seed=0, l0method="pmmp", strength="0.5",
                   file="model.bin"),
        "l0_analysis": dict(dataset="mnist5k", model="lenet300", seed=1, l0method="drr", strength="10",
                            analysis="output", ext="json"),
        "teacher_student": dict(samples="1000", l0method="l2", strength="0.001", seed=2, file="metrics.json"),
        "rd_fits": dict(dataset="skimage_photos", codec="coin_ptq", arch="3x16", ext="pt"),
        "rd": dict(dataset="kodak", codec="coin_qn", level="5x20-b4-wb"),
        "rd_payloads": dict(dataset="skimage_photos", codec="jpeg", level="50"),
        "tables": dict(table="summary"),
        "figures": dict(figure="runtime", ext="pdf"),
        "reports": dict(study="less_is_more"),
        "benchmarks": dict(folder="train", job="mnist5k/dct/8/cnn1d_paper/seed0"),
        "logs": dict(folder="tables", job="runs"),
    }  # fmt: skip
    assert set(cases) == set(layout.KINDS)
    for kind, values in cases.items():
        path = layout.path(kind, **values)
        assert layout.parse(path, kind) == {"kind": kind, **values}, path
        assert layout.parse(path)["kind"] == kind, path  # no other stage's pattern takes it
        assert layout.parse("/somewhere/else/" + path, kind)["kind"] == kind


def test_known_paths_keep_their_spelling():
    run = dict(dataset="mnist5k", method="dct", level="8", model="cnn1d_paper", seed=0)
    expected = "results/runs/mnist5k/dct/8/cnn1d_paper/seed0/model.pt"
    assert layout.path("runs", **run, file="model.pt") == expected
    assert layout.pattern("analysis", analysis="output", ext="json") == (
        "results/analysis/{dataset}/{method}/{level}/{model}/seed{seed}/output.json"
    )
    assert layout.log("analyze_output", "analysis") == (
        "logs/analyze_output/{dataset}/{method}/{level}/{model}/seed{seed}.log"
    )
    assert layout.benchmark("compress", "compressed", dataset="mnist5k") == (
        "results/benchmarks/compress/mnist5k/{method}/{level}.tsv"
    )


def test_a_bad_path_names_the_expected_layout():
    with pytest.raises(layout.ResultPathError, match=r"runs/\{dataset\}.*seed\{seed\}"):
        layout.parse("results/runs/mnist5k/dct/8/cnn1d_paper/metrics.json", "runs")
    with pytest.raises(KeyError, match="no field"):
        layout.path("tables", table="x", dataset="y")
    with pytest.raises(KeyError, match="'ext'"):
        layout.path("data", dataset="mnist5k")


def test_aggregation_reads_paths_through_the_layout():
    assert aggregate.parse_result_path("results/compressed/mnist5k/jpeg/50.json")["level"] == "50"
    bench = aggregate.parse_result_path("results/benchmarks/train/mnist5k/dct/8/cnn1d_paper/seed0.tsv")
    assert bench["folder"] == "train" and bench["job"] == "mnist5k/dct/8/cnn1d_paper/seed0"


def test_no_rule_file_or_script_spells_a_results_path():
    """Rules, target functions and scripts take every results path from shrinkflow.layout."""
    files = sorted((ROOT / "workflow/rules").glob("*.smk")) + sorted((ROOT / "scripts").glob("*.py"))
    files.append(ROOT / "Snakefile")
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            assert not re.search(r"""["'](results|logs)/""", code), f"{path.name}:{number}: {line.strip()}"


def test_every_input_kind_a_table_or_figure_names_is_in_the_layout():
    from shrinkflow import plots, tables

    for entry in [*tables.TABLES.values(), *plots.FIGURES.values()]:
        for kinds in entry.inputs.values():
            for kind in (kinds,) if isinstance(kinds, str) else kinds:
                assert kind in layout.INPUT_KINDS, (entry.name, kind)
    common = (ROOT / "workflow/rules/common.smk").read_text()
    for kind in layout.INPUT_KINDS:
        assert f'"{kind}":' in common, f"common.smk does not resolve input kind {kind!r}"
