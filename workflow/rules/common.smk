# Python only: config validation, the study grid, input functions and wildcard constraints.
# This is the one place that expands the grid (dataset x method x level x model x seed).

import copy
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# The library lives in src/; importing it from the checkout works with or without `pip install -e .`
# and inside per-rule conda environments.
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from shrinkflow import codecs, datasets, models  # noqa: E402
from shrinkflow.config import (  # noqa: E402
    ConfigError,
    check_study,
    level_key,
    models_of,
    view_of,
)

# A --configfile is a complete study (the presets are): it replaces config.yaml instead of being merged
# into it, which would silently add the default grid to a preset's. --config KEY=VALUE still overrides keys.
if workflow.overwrite_configfiles:
    config.clear()
    config.update(copy.deepcopy(workflow.config_settings.overwrite_config))

validate(config, schema="../schemas/config.schema.yaml")
try:
    check_study(config)
except ConfigError as err:
    raise WorkflowError(str(err)) from None


wildcard_constraints:
    dataset="|".join(datasets.names()),
    method="|".join(codecs.names()),
    model="|".join(models.names()),
    level=r"[A-Za-z0-9.\-]+",
    seed=r"\d+",


# Peak memory per job (MB) by dataset size class; see README "Memory".
_MEM_MB = {"small": 2000, "large": 4000}
_LARGE_DATASETS = {"cifar10", "kodak"}


def study_grid():
    """Every (dataset, method, level) triple of the study, levels spelled as in paths."""
    return [
        (dataset, method, level_key(level))
        for dataset, methods in config["datasets"].items()
        for method, levels in methods.items()
        for level in levels
    ]


def compressed_targets():
    return [
        f"results/compressed/{dataset}/{method}/{level}.json"
        for dataset, method, level in study_grid()
    ]


def run_dir(dataset, method, level, model, seed):
    return f"results/runs/{dataset}/{method}/{level}/{model}/seed{seed}"


def grid_runs():
    """(dataset, method, level, model, seed) of every run of the study grid."""
    return [
        (dataset, method, level, model, seed)
        for dataset, method, level in study_grid()
        for model in models_for(dataset)
        for seed in config["seeds"]
    ]


def run_targets(filename="metrics.json"):
    return [f"{run_dir(*run)}/{filename}" for run in grid_runs()]


def models_for(dataset):
    """The models trained on ``dataset``'s artifacts (``models`` is a list, or a mapping per dataset)."""
    return models_of(config, dataset)


def adaptive_models(dataset):
    return config["adaptive"].get("models") or models_for(dataset)


def adaptive_runs():
    """(dataset, "adaptive", preset, model, seed) of every AdaptCompression run."""
    return [
        (dataset, "adaptive", preset, model, seed)
        for dataset in config["adaptive"]["datasets"]
        for preset in config["adaptive"]["presets"]
        for model in adaptive_models(dataset)
        for seed in config["seeds"]
    ]


def adaptive_targets(filename="metrics.json"):
    return [f"{run_dir(*run)}/{filename}" for run in adaptive_runs()]


def robustness_grid():
    """dataset -> [(method, level)] of the test sets the robustness analysis evaluates reference models on."""
    methods = config["analysis"]["robustness"]["methods"]
    out = {}
    for dataset, method, level in study_grid():
        if method in methods:
            out.setdefault(dataset, []).append((method, level))
    return out if config["analysis"]["robustness"]["models"] else {}


def robustness_targets():
    return [
        f"results/robustness/{dataset}/{model}/seed{seed}.csv"
        for dataset in robustness_grid()
        for model in config["analysis"]["robustness"]["models"]
        for seed in config["seeds"]
    ]


def analysis_targets(analyses=None):
    """Per-run analysis JSONs of every grid run except the references themselves."""
    analyses = config["analysis"]["enabled"] if analyses is None else analyses
    return [
        f"results/analysis/{dataset}/{method}/{level}/{model}/seed{seed}/{analysis}.json"
        for dataset, method, level, model, seed in grid_runs()
        if method != "identity"
        for analysis in analyses
        if analysis in config["analysis"]["enabled"]
    ]


def table_targets():
    tables = ["runs", "summary", "storage_at_epsilon"]
    if robustness_targets():
        tables += ["robustness", "batchnorm_amplification"]
    tables += [f"reproduction_{study}" for study in config["reproduction"]["studies"]]
    return [f"results/tables/{name}.csv" for name in tables]


def figure_names():
    names = ["accuracy_vs_bits", "training_curves", "per_class_heatmap", "runtime"]
    if adaptive_runs():
        names.append("adaptive_fractions")
    if analysis_targets(["attributions"]):
        names.append("attribution_overlays")
    if robustness_targets():
        names.append("robustness")
    if analysis_targets(["boundaries"]):
        names.append("boundary_ratios")
    return names


def figure_targets():
    return [f"results/figures/{name}.png" for name in figure_names()]


def all_targets():
    return table_targets() + figure_targets()


def benchmark_targets():
    """Benchmark files of every job of the study (the runtime figure and table read them)."""
    compress = [
        f"results/benchmarks/compress/{d}/{m}/{lv}.tsv" for d, m, lv in study_grid()
    ]
    train = [
        f"results/benchmarks/train/{d}/{m}/{lv}/{mo}/seed{s}.tsv"
        for d, m, lv, mo, s in grid_runs()
    ]
    adaptive = [
        f"results/benchmarks/train_adaptive/{d}/{p}/{mo}/seed{s}.tsv"
        for d, _, p, mo, s in adaptive_runs()
    ]
    analyses = [
        f"results/benchmarks/analyze_{analysis}/{d}/{m}/{lv}/{mo}/seed{s}.tsv"
        for d, m, lv, mo, s in grid_runs()
        if m != "identity"
        for analysis in config["analysis"]["enabled"]
    ]
    prepare = sorted(
        {f"results/benchmarks/prepare_dataset/{d}.tsv" for d, _, _ in study_grid()}
    )
    robustness = [
        p.replace(
            "results/robustness/", "results/benchmarks/analyze_robustness/", 1
        ).replace(".csv", ".tsv")
        for p in robustness_targets()
    ]
    return prepare + compress + train + adaptive + analyses + robustness


def get_codec_params(wildcards):
    """Parameters of one codec from config (without the view), with the codec's defaults filled in."""
    return codecs.get(wildcards.method).params(
        config["codecs"].get(wildcards.method, {})
    )


def get_view(wildcards):
    return view_of(config, wildcards.method)


def get_mem_mb(rule_name):
    def mem_mb(wildcards):
        large = getattr(wildcards, "dataset", "") in _LARGE_DATASETS
        return _MEM_MB["large" if large else "small"]

    return mem_mb


def get_train_runtime(wildcards):
    """Minutes a training job may take: generous for CPU, per epoch."""
    return 10 + 2 * config["train"]["epochs"]


def get_gpu(wildcards):
    """One GPU for training jobs when config asks for CUDA (profiles map it to --gpus).

    The analyses load models on the CPU and ask for none."""
    return 1 if config["train"]["device"] == "cuda" else 0


def get_adaptive_preset(wildcards):
    return config["adaptive"]["presets"][wildcards.preset]


def reference_dir(wildcards):
    """The run this run is compared with: same dataset, model and seed, trained on identity data."""
    return run_dir(
        wildcards.dataset, "identity", "full", wildcards.model, wildcards.seed
    )


def robustness_inputs(suffix):
    """Compressed test sets (``suffix`` .npz or .json) the robustness analysis of a dataset reads."""

    def inputs(wildcards):
        return [
            f"results/compressed/{wildcards.dataset}/{method}/{level}{suffix}"
            for method, level in robustness_grid()[wildcards.dataset]
        ]

    return inputs


# ---- input functions of the analysis, table and figure rules ----


def analysis_inputs(wildcards):
    reference = reference_dir(wildcards)
    run = run_dir(
        wildcards.dataset,
        wildcards.method,
        wildcards.level,
        wildcards.model,
        wildcards.seed,
    )
    return {
        "data": f"results/data/{wildcards.dataset}.npz",
        "npz": f"results/compressed/{wildcards.dataset}/{wildcards.method}/{wildcards.level}.npz",
        "sidecar": f"results/compressed/{wildcards.dataset}/{wildcards.method}/{wildcards.level}.json",
        "model": f"{run}/model.pt",
        "reference_model": f"{reference}/model.pt",
    }


def grid_metrics():
    return run_targets("metrics.json")


def figure_outputs(name):
    return {
        "png": report(
            f"results/figures/{name}.png",
            caption=f"../report/{name}.rst",
            category="Figures",
        ),
        "pdf": f"results/figures/{name}.pdf",
    }


def attribution_figure_runs():
    """Up to four runs shown in the attribution figure: first dataset, model and seed, one per method
    (its middle level), methods in grid order; all share the same seeded test images."""
    runs = grid_runs()
    if not runs:
        return []
    dataset, model, seed = runs[0][0], runs[0][3], runs[0][4]
    shown = []
    for method, levels in config["datasets"][dataset].items():
        if method != "identity":
            shown.append(
                (dataset, method, level_key(levels[len(levels) // 2]), model, seed)
            )
    return shown[:4]


def attribution_figure_inputs(wildcards):
    runs = attribution_figure_runs()
    prefix = "results/analysis/{}/{}/{}/{}/seed{}/attributions"
    return {
        "json": [prefix.format(*run) + ".json" for run in runs],
        "npz": [prefix.format(*run) + ".npz" for run in runs],
        "data": sorted({f"results/data/{run[0]}.npz" for run in runs}),
    }
