"""Figures: each writes a non-empty PNG and PDF for small inputs, says "no data" instead of crashing; the
figure registry is light to import and draws from files."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shrinkflow import plots
from shrinkflow.aggregate import summary

ROOT = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _check_written(paths, stem):
    assert [p.name for p in paths] == [f"{stem}.png", f"{stem}.pdf"]
    png, pdf = (p.read_bytes() for p in paths)
    assert png.startswith(PNG_MAGIC) and len(png) > 5000
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    rows = []
    for method, levels, bits in (("identity", ["full"], [6272]), ("dct", ["4", "8"], [128, 512])):
        for level, b in zip(levels, bits, strict=True):
            for seed in range(2):
                acc = 0.9 + 0.01 * seed + (0.05 if method == "identity" else 0.01 * int(level) / 4)
                rows.append(
                    {"dataset": "mnist5k", "method": method, "level": level, "model": "cnn1d_paper",
                     "seed": seed, "test_accuracy": acc, "bits_per_sample": b,
                     "per_class_accuracy_0": acc, "per_class_accuracy_1": acc - 0.1,
                     "boundaries_distance_ratio": 1.0 + 0.1 * seed,
                     "boundaries_distance_ratio_censored": seed == 1}
                )  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def histories() -> pd.DataFrame:
    rows = []
    for method, level in (("dct", "4"), ("dct", "8"), ("downsample", "7")):
        for seed in range(2):
            for epoch in (1, 2, 3):
                rows.append(
                    {"method": method, "level": level, "model": "cnn1d_paper", "seed": seed, "epoch": epoch,
                     "train_loss": 1 / epoch, "test_loss": 1.1 / epoch + 0.01 * seed,
                     "train_accuracy": 1 - 0.3 / epoch, "test_accuracy": 0.95 - 0.3 / epoch}
                )  # fmt: skip
    for policy in ("ema", "median"):
        for epoch in (1, 2, 3):
            high = 1.0 if epoch == 1 else 0.4
            rows.append(
                {"method": "dct", "level": "16", "model": "cnn1d_paper", "seed": 0, "epoch": epoch,
                 "frac_k4": 1 - high, "frac_k16": high, "assigned_stored_bytes": 1000 * high,
                 "adaptive.policy": policy}
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_accuracy_vs_bits_writes_png_and_pdf(tmp_path, runs):
    _check_written(plots.plot_accuracy_vs_bits(summary(runs), tmp_path / "acc.png"), "acc")


def test_training_curves_and_adaptive_fractions(tmp_path, histories):
    plain = histories[histories["frac_k4"].isna()]
    _check_written(plots.plot_training_curves(plain, tmp_path / "curves.pdf"), "curves")
    _check_written(plots.plot_adaptive_fractions(histories, tmp_path / "adaptive"), "adaptive")


def test_adaptive_fractions_without_adaptive_runs_says_no_data(tmp_path, histories, caplog):
    plain = histories[histories["frac_k4"].isna()].drop(columns=["frac_k4", "frac_k16"])
    paths = plots.plot_adaptive_fractions(plain, tmp_path / "adaptive.png")
    assert all(p.stat().st_size > 0 for p in paths)
    assert "no frac_k* columns" in caplog.text


def test_per_class_heatmap_and_boundary_ratios(tmp_path, runs):
    _check_written(plots.plot_per_class_heatmap(runs, tmp_path / "heat.png", ["zero", "one"]), "heat")
    compressed = runs[runs["method"] != "identity"]
    _check_written(plots.plot_boundary_ratios(compressed, tmp_path / "ratios.png"), "ratios")


def test_attribution_overlays_from_analysis_arrays(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(10, 8, 8, 1), dtype=np.uint8)
    arrays = {
        "image_indices": np.array([7, 2, 5]),
        "saliency_maps": rng.random((2, 8, 8)),
        "saliency_reference_maps": rng.random((2, 8, 8)),
        "saliency_similarity": np.array([0.25, 0.5, 0.75]),
    }
    examples = plots.attribution_examples(arrays, images, "saliency", n=4)
    assert [e.label for e in examples] == ["test image 7", "test image 2"]  # only the maps that were kept
    np.testing.assert_array_equal(examples[1].image, images[2])
    assert examples[1].similarity == 0.5
    _check_written(plots.plot_attribution_overlays(examples, tmp_path / "attr.png", "saliency"), "attr")
    with pytest.raises(KeyError, match="ig_maps"):
        plots.attribution_examples(arrays, images, "ig")


def test_robustness_plot_with_and_without_batchnorm(tmp_path):
    rows = [
        {"method": m, "level": lv, "model": model, "seed": s, "accuracy": 0.8 - 0.01 * s}
        for m, levels in (("identity", ["full"]), ("jpeg", ["10", "50"]), ("zfp_rate", ["2", "4"]))
        for lv in levels
        for model in ("cnn2d", "cnn2d_bn")
        for s in range(2)
    ]
    _check_written(plots.plot_robustness(pd.DataFrame(rows), tmp_path / "rob.png"), "rob")


def test_runtime_plot_from_benchmark_files(tmp_path):
    for rule, wildcards, seconds in (
        ("train", "a/seed0", 10.0),
        ("train", "a/seed1", 12.0),
        ("compress", "a", 2.0),
    ):
        tsv = tmp_path / f"results/benchmarks/{rule}/{wildcards}.tsv"
        tsv.parent.mkdir(parents=True, exist_ok=True)
        tsv.write_text(f"s\th:m:s\tmax_rss\n{seconds}\t0:00:10\t500.5\n")
    df = plots.read_benchmarks(sorted(tmp_path.rglob("*.tsv")))
    _check_written(plots.plot_runtime(df, tmp_path / "runtime.png"), "runtime")


def test_runtime_memory_leaves_out_jobs_too_short_to_be_sampled():
    """Snakemake's first memory sample comes 0.5 s in: a 0.4 s job's 0 MB and a 0.7 s job's start-up sample
    are not peaks."""
    from shrinkflow.plots.runtime import rss_rows

    df = pd.DataFrame(
        {"rule": ["compress", "compress", "train", "train"], "s": [0.4, 0.7, 1.0, 9.0],
         "max_rss": [0.0, 2.9, 310.0, None]}
    )  # fmt: skip
    assert rss_rows(df)["s"].tolist() == [1.0]


def test_missing_columns_or_empty_tables_give_a_no_data_figure(tmp_path, caplog):
    empty = pd.DataFrame()
    for name, fn in (
        ("acc", plots.plot_accuracy_vs_bits),
        ("curves", plots.plot_training_curves),
        ("heat", plots.plot_per_class_heatmap),
        ("rob", plots.plot_robustness),
        ("ratios", plots.plot_boundary_ratios),
        ("runtime", plots.plot_runtime),
    ):
        paths = fn(empty, tmp_path / f"{name}.png")
        assert [p.suffix for p in paths] == [".png", ".pdf"] and all(p.stat().st_size > 0 for p in paths)
    assert plots.plot_attribution_overlays([], tmp_path / "attr.png")[0].exists()
    assert caplog.text.count("no data") == 7


def test_same_inputs_give_identical_bytes(tmp_path, runs):
    a = plots.plot_per_class_heatmap(runs, tmp_path / "a.png")
    b = plots.plot_per_class_heatmap(runs, tmp_path / "b.png")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


# ---- registry and method styles ----


def test_every_registered_figure_has_a_caption_a_module_and_known_input_kinds():
    assert plots.names() == list(plots.FIGURES) and len(plots.names()) == 18
    for name in plots.names():
        figure = plots.get(name)
        assert figure.name == name
        assert (ROOT / "workflow" / "report" / f"{name}.rst").is_file(), f"no caption for figure {name}"
        assert set(figure.inputs.values()) <= set(plots.INPUT_KINDS), name
        assert callable(importlib.import_module(f"shrinkflow.plots.{figure.module}").draw)
    with pytest.raises(KeyError, match="allowed: .*accuracy_vs_bits"):
        plots.get("no_such_figure")


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )


def test_importing_the_registry_loads_neither_matplotlib_nor_pandas_nor_torch():
    """The Snakefile imports the registry at parse time; plotting modules load when a figure is drawn."""
    done = _python(
        "import sys; import shrinkflow.plots as p; p.get('runtime'); p.names(); "
        "print(sorted(m for m in ('matplotlib', 'pandas', 'torch', 'seaborn') if m in sys.modules))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_method_style_shares_a_colour_within_a_family_only():
    info = {
        "a1": {"family": "a", "level_meaning": "x"},
        "a2": {"family": "a", "level_meaning": "x"},
        "b": {"family": "b", "level_meaning": "y"},
    }
    styles = plots.method_style(["a1", "a2", "b", "stranger"], info)
    assert styles["a1"]["color"] == styles["a2"]["color"]
    assert styles["a1"]["linestyle"] != styles["a2"]["linestyle"]
    assert len({tuple(styles[m]["color"]) for m in ("a1", "b", "stranger")}) == 3

    from shrinkflow import codecs

    methods = ["identity", "png", "zfp_rate", "zfp_accuracy", "dct", "adaptive"]
    styles = plots.method_style(methods, codecs.method_info())
    assert plots.method_style(methods) == styles  # without info: the codec registry's
    assert styles["identity"]["color"] == styles["png"]["color"]
    assert styles["zfp_rate"]["color"] == styles["zfp_accuracy"]["color"]
    assert styles["zfp_rate"]["marker"] != styles["zfp_accuracy"]["marker"]
    assert len({tuple(styles[m]["color"]) for m in ("identity", "zfp_rate", "dct", "adaptive")}) == 4


def _published():
    from shrinkflow.plots.accuracy_vs_bits import published_points
    from shrinkflow.reproduction import load_published

    return published_points(load_published())


def test_registry_draws_a_figure_from_its_input_files(tmp_path, runs):
    from shrinkflow import codecs

    table = tmp_path / "summary.csv"
    summary(runs).to_csv(table, index=False)
    figure = plots.get("accuracy_vs_bits")
    written = figure.draw({"summary": str(table)}, tmp_path / "fig" / "acc.png", info=codecs.method_info())
    _check_written(written, "acc")
    # the same figure straight from the table: reading the file loses nothing
    direct = plots.plot_accuracy_vs_bits(summary(runs), tmp_path / "direct.png", published=_published())
    assert written[0].read_bytes() == direct[0].read_bytes()
    with pytest.raises(KeyError, match="missing \\['summary'\\]"):
        figure.draw({}, tmp_path / "x.png")


def test_a_figure_job_without_torch_draws_with_the_method_info_it_is_given(tmp_path, runs):
    from shrinkflow import codecs

    table, info = tmp_path / "summary.csv", tmp_path / "info.json"
    summary(runs).to_csv(table, index=False)
    info.write_text(json.dumps(codecs.method_info()))
    done = _python(
        "import json, sys\n"
        "class NoTorch:  # an environment without torch\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "from shrinkflow import plots\n"
        f"info = json.loads(open({str(info)!r}).read())\n"
        f"plots.get('accuracy_vs_bits').draw({{'summary': {str(table)!r}}}, {str(tmp_path / 'acc.png')!r}, "
        "info=info)\n"
        "assert 'torch' not in sys.modules\n"
    )
    assert done.returncode == 0, done.stderr
    direct = plots.plot_accuracy_vs_bits(summary(runs), tmp_path / "direct.png", published=_published())
    assert (tmp_path / "acc.png").read_bytes() == direct[0].read_bytes()


def test_the_papers_points_are_drawn_beside_our_curves(runs, tmp_path):
    from shrinkflow.plots.accuracy_vs_bits import published_points
    from shrinkflow.reproduction import load_published

    points = published_points(load_published())
    # "less is more" Table 1: accuracy and bits per sample of its four methods (16x16 / k = 256)
    dct = points[(points["study"] == "less_is_more") & (points["method"] == "dct")].iloc[0]
    assert (dct["level"], dct["accuracy"], dct["bits"]) == ("16", 0.9558, 2048.0)
    paths = plots.plot_accuracy_vs_bits(summary(runs), tmp_path / "acc.png", published=points)
    _check_written(paths, "acc")


def _model_table() -> pd.DataFrame:
    """Two seeds of three compressed configurations of one run, with per-class changes for 3 classes."""
    rows = []
    for scheme, amount, size, acc in (("prune_global", "0.5", 2e5, 0.95), ("prune_global", "0.9", 5e4, 0.93),
                                      ("quantize_int", "4", 6e4, 0.94)):  # fmt: skip
        for seed in (0, 1):
            nonzero_ratio = 1 / (1 - float(amount)) if scheme != "quantize_int" else 1.0
            rows.append({
                "dataset": "mnist5k", "method": "identity", "level": "full", "model": "cnn1d_paper",
                "seed": seed, "scheme": scheme, "amount": amount, "compressed": "model", "stored_bytes": size,
                "test_accuracy": acc + 0.005 * seed, "parent_accuracy": 0.96, "dense_fp32_bytes": 4e5,
                "compression_ratio": 4e5 / size, "shrinkbench_ratio": nonzero_ratio,
                "four_bytes_per_nonzero_ratio": nonzero_ratio,
                "per_class_change_0": -0.02, "per_class_change_1": 0.01, "per_class_change_2": 0.0,
            })  # fmt: skip
    return pd.DataFrame(rows)


def test_model_compression_figures_draw_from_hand_made_tables(tmp_path):
    from shrinkflow.plots.accuracy_vs_model_bytes import plot_accuracy_vs_model_bytes
    from shrinkflow.plots.data_vs_model import plot_data_vs_model
    from shrinkflow.plots.per_class_change import plot_per_class_change

    table = _model_table()
    for plot, name in ((plot_accuracy_vs_model_bytes, "bytes"), (plot_per_class_change, "classes")):
        written = plot(table, tmp_path / f"{name}.png")
        assert [p.suffix for p in written] == [".png", ".pdf"] and written[0].stat().st_size > 20_000
    kept = pd.DataFrame({
        "dataset": "mnist5k", "model": "cnn1d_paper", "seed": [0, 0, 0, 0],
        "kind": ["none", "data", "model", "both"],
        "method": ["identity", "dct", "identity", "dct"], "level": ["full", "8", "full", "8"],
        "scheme": [None, None, "prune_global", "prune_global"], "amount": [None, None, "0.9", "0.9"],
        "kept_bytes": [4e6, 2e6, 3e6, 1e6], "test_accuracy": [0.96, 0.9, 0.95, 0.88],
    })  # fmt: skip
    assert plot_data_vs_model(kept, tmp_path / "kept.png")[0].stat().st_size > 20_000
    # without the columns a figure needs it says so instead of failing
    assert plot_accuracy_vs_model_bytes(table.drop(columns="stored_bytes"), tmp_path / "none.png")
    assert plot_per_class_change(table.filter(regex="^(?!per_class)"), tmp_path / "none2.png")
