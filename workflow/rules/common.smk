# Python only: config validation, the study grid, input functions and wildcard constraints.
# This is the one place that expands the grid (dataset x method x level x model x seed).

import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# The library lives in src/; importing it from the checkout works with or without `pip install -e .`
# and inside per-rule conda environments.
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from shrinkflow import codecs, datasets, models  # noqa: E402
from shrinkflow.config import ConfigError, check_study, level_key  # noqa: E402

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


def run_targets(filename="metrics.json"):
    return [
        f"{run_dir(dataset, method, level, model, seed)}/{filename}"
        for dataset, method, level in study_grid()
        for model in config["models"]
        for seed in config["seeds"]
    ]


def all_targets():
    return compressed_targets() + run_targets()


def get_codec_params(wildcards):
    """Parameters of one codec from config (without the view), with the codec's defaults filled in."""
    return codecs.get(wildcards.method).params(config["codecs"].get(wildcards.method, {}))


def get_view(wildcards):
    return config["codecs"].get(wildcards.method, {}).get("view", config["default_view"])


def get_mem_mb(rule_name):
    def mem_mb(wildcards):
        large = getattr(wildcards, "dataset", "") in _LARGE_DATASETS
        return _MEM_MB["large" if large else "small"]

    return mem_mb


def get_train_runtime(wildcards):
    """Minutes a training job may take: generous for CPU, per epoch."""
    return 10 + 2 * config["train"]["epochs"]


def get_gpu(wildcards):
    return 1 if config["train"]["device"] == "cuda" else 0
