# Python only: config validation, the study grid, input functions and wildcard constraints.
# This is the one place that expands the grid (dataset x method x level x model x seed); every path comes
# from shrinkflow.layout, and the analysis, table and figure rules are defined from the registries.

import copy
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# The library lives in src/; importing it from the checkout works with or without `pip install -e .`
# and inside per-rule conda environments.
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from shrinkflow import (
    analysis,
    codecs,
    datasets,
    l0,
    l0_grid,
    layout,
    mlp_study,
    model_compression,
    model_grid,
    models,
    plots,
    rd,
    rd_grid,
    tables,
)
from shrinkflow.config import (
    ConfigError,
    check_schema,
    check_study,
    config_value,
    level_key,
    models_of,
    view_of,
)

SCHEMA = "../schemas/config.schema.yaml"

# A --configfile is a complete study (the presets are): it replaces config.yaml instead of being merged
# into it, which would silently add the default grid to a preset's. --config KEY=VALUE still overrides keys.
if workflow.overwrite_configfiles:
    config.clear()
    config.update(copy.deepcopy(workflow.config_settings.overwrite_config))

# --config parses only True/False as booleans; take group_seeds=true/false as well
if str(config.get("group_seeds")).lower() in ("true", "false"):
    config["group_seeds"] = str(config["group_seeds"]).lower() == "true"

try:
    check_schema(
        config, Path(workflow.current_basedir) / SCHEMA
    )  # one line per problem
    validate(config, schema=SCHEMA)  # fills in the schema's defaults
    check_study(config)
except ConfigError as err:
    raise WorkflowError(str(err)) from None


# run methods: every codec, and "adaptive" (AdaptCompression runs); rules that compress or train a codec's
# artifact constrain {method} to CODEC_METHODS
CODEC_METHODS = "|".join(codecs.names())


wildcard_constraints:
    dataset="|".join(datasets.names()),
    method=f"{CODEC_METHODS}|adaptive",
    model="|".join([*models.names(), models.MLP_REGEX]),
    level=r"[A-Za-z0-9._\-]+",
    seed=r"\d+",
    study=r"[A-Za-z0-9_]+",
    scheme="|".join(model_compression.names()),
    amount=r"[0-9][0-9.]*",
    rate=r"dense|d\d+_k\d+",
    training="plain|distilled",
    l0method="|".join(l0.names()),
    strength=r"[0-9][0-9.]*",
    samples=r"\d+",


# ---- seeds per job (config group_seeds) ----
# Grouped (the default), one job writes every seed's files of a run: the rule's outputs list each seed's path
# and its script loops over params.seeds. Ungrouped, {seed} is a wildcard and a job handles one seed. The
# result paths are the same either way; a grouped job's log and benchmark are named seeds.log / seeds.tsv.
GROUP_SEEDS = config["group_seeds"]


def job_seed(seed):
    """The seed part (after "seed") of a job's log and benchmark key: "s" for a grouped job."""
    return "s" if GROUP_SEEDS else seed


SEED_JOB = job_seed("{seed}")
#: the seeds of the l0 block's classifier runs and of its teacher-student runs
L0_SEEDS = l0_grid.classifier_seeds(config)
#: the seeds of the MLP study's runs (MCNC runs and distillation students)
MLP_SEEDS = mlp_study.seeds(config)
TS_SEEDS = l0_grid.teacher_student_seeds(config)


def seeded(patterns, seeds):
    """The outputs of a seed-grouped rule for ``seeds``. Grouped, every seed's paths (seed-major, other
    wildcards kept); else the pattern(s) as given, with ``{seed}`` a wildcard."""
    if not GROUP_SEEDS:
        return patterns
    many = [patterns] if isinstance(patterns, str) else patterns
    return [
        p
        for seed in seeds
        for pattern_ in many
        for p in expand(pattern_, seed=seed, allow_missing=True)
    ]


def job_seeds(seeds):
    """params.seeds of a seed-grouped rule: the seeds one job handles, as ints."""
    if GROUP_SEEDS:
        return [int(s) for s in seeds]
    return lambda wildcards: [int(wildcards.seed)]


def per_seed(inputs_of, seeds):
    """The input function of a seed-grouped rule, from ``inputs_of(fields)``, one seed's named inputs
    (``fields`` are the wildcards plus ``seed``). Grouped, a name maps to its paths over ``seeds`` (a list per seed
    is concatenated, seed-major), or to one path when every seed reads the same file."""

    def inputs(wildcards):
        fields = dict(wildcards.items())
        if not GROUP_SEEDS:
            return inputs_of(fields)
        each = [inputs_of({**fields, "seed": str(s)}) for s in seeds]
        merged = {}
        for name in each[0]:
            values = [one[name] for one in each]
            if isinstance(values[0], list):
                merged[name] = [p for paths in values for p in paths]
            else:
                merged[name] = values[0] if len(set(values)) == 1 else values
        return merged

    return inputs


# Peak memory per job (MB) by dataset size class; see README "Memory".
_MEM_MB = {"small": 2000, "large": 4000}
_LARGE_DATASETS = {"cifar10", "kodak"}


# ---- the study grid ----


def study_grid():
    """Every (dataset, method, level) triple of the study, levels spelled as in paths."""
    return [
        (dataset, method, level_key(level))
        for dataset, methods in config["datasets"].items()
        for method, levels in methods.items()
        for level in levels
    ]


def models_for(dataset):
    """The models trained on ``dataset``'s artifacts (``models`` is a list, or a mapping per dataset)."""
    return models_of(config, dataset)


def grid_runs():
    """(dataset, method, level, model, seed) of every run of the study grid."""
    return [
        (dataset, method, level, model, seed)
        for dataset, method, level in study_grid()
        for model in models_for(dataset)
        for seed in config["seeds"]
    ]


def adaptive_runs():
    """(dataset, "adaptive", preset, model, seed) of every AdaptCompression run."""
    return [
        (dataset, "adaptive", preset, model, seed)
        for dataset in config["adaptive"]["datasets"]
        for preset in config["adaptive"]["presets"]
        for model in config["adaptive"].get("models") or models_for(dataset)
        for seed in config["seeds"]
    ]


def analysed_runs():
    """The runs compared with a reference: every grid run but the references themselves, and every
    AdaptCompression run."""
    return [run for run in grid_runs() if run[1] != "identity"] + adaptive_runs()


def run_fields(run):
    return dict(zip(("dataset", "method", "level", "model", "seed"), run))


def robustness_grid():
    """dataset -> [(method, level)] of the test sets the robustness analysis evaluates reference models on."""
    methods = config["analysis"]["robustness"]["methods"]
    out = {}
    for dataset, method, level in study_grid():
        if method in methods:
            out.setdefault(dataset, []).append((method, level))
    return out if config["analysis"]["robustness"]["models"] else {}


def robustness_jobs():
    """(dataset, model, seed) of every robustness job."""
    return [
        (dataset, model, seed)
        for dataset in robustness_grid()
        for model in config["analysis"]["robustness"]["models"]
        for seed in config["seeds"]
    ]


# ---- target lists (paths from shrinkflow.layout) ----


def compressed_targets(ext="json"):
    return [
        layout.path("compressed", dataset=d, method=m, level=lv, ext=ext)
        for d, m, lv in study_grid()
    ]


def run_targets(file="metrics.json", runs=None):
    runs = grid_runs() if runs is None else runs
    return [layout.path("runs", **run_fields(run), file=file) for run in runs]


def adaptive_targets(file="metrics.json"):
    return run_targets(file, adaptive_runs())


def analysis_targets(analyses=None, ext="json"):
    """Per-run analysis files of every analysed run, for the enabled analyses among ``analyses``."""
    enabled = config["analysis"]["enabled"]
    wanted = [a for a in (enabled if analyses is None else analyses) if a in enabled]
    return [
        layout.path("analysis", **run_fields(run), analysis=name, ext=ext)
        for run in analysed_runs()
        for name in wanted
    ]


def compressed_model_targets(file="metrics.json"):
    """Files of every compressed model (results/models/<run>/{scheme}/{amount}/)."""
    return [
        layout.path("models", **m, file=file)
        for m in model_grid.compressed_models(config)
    ]


def model_analysis_targets(ext="json"):
    """Per-model analysis files of every compressed model, for the enabled analyses."""
    return [
        layout.path("model_analysis", **m, analysis=name, ext=ext)
        for m in model_grid.compressed_models(config)
        for name in config["analysis"]["enabled"]
    ]


def search_targets():
    return [
        layout.path("searches", **s, file="search.json")
        for s in model_grid.searches(config)
    ]


def capacity_targets(file="metrics.json"):
    """Task 1 of the MLP study: MLPs trained on the study dataset's raw data."""
    return [
        layout.path("runs", **r, file=file) for r in mlp_study.capacity_runs(config)
    ]


def student_targets(file="metrics.json"):
    """Tasks 2 and 3: MCNC runs and distillation students."""
    return [
        layout.path("students", **r, file=file) for r in mlp_study.student_runs(config)
    ]


def student_analysis_targets(ext="json"):
    return [
        layout.path("student_analysis", **r, analysis=name, ext=ext)
        for r in mlp_study.student_runs(config)
        for name in config["analysis"]["enabled"]
    ]


def l0_targets(file="metrics.json"):
    return [layout.path("l0", **r, file=file) for r in l0_grid.classifier_runs(config)]


def l0_analysis_targets(ext="json"):
    return [
        layout.path("l0_analysis", **r, analysis=name, ext=ext)
        for r in l0_grid.analysed_runs(config)
        for name in config["analysis"]["enabled"]
    ]


def teacher_student_targets(file="metrics.json"):
    return [
        layout.path("teacher_student", **r, file=file)
        for r in l0_grid.teacher_student_runs(config)
    ]


def rd_targets():
    """Every rate-distortion point: results/rd/{dataset}/{codec}/{level}.json."""
    return [layout.path("rd", **p) for p in rd_grid.points(config)]


def robustness_targets():
    return [
        layout.path("robustness", dataset=d, model=mo, seed=s)
        for d, mo, s in robustness_jobs()
    ]


def data_targets(ext="json"):
    return sorted({layout.path("data", dataset=d, ext=ext) for d, _, _ in study_grid()})


def attribution_figure_runs():
    """Up to four runs shown in the attribution figure: first dataset, model and seed, one per method
    (its middle level), methods in grid order; all share the same seeded test images."""
    runs = grid_runs()
    if not runs or "attributions" not in config["analysis"]["enabled"]:
        return []
    dataset, model, seed = runs[0][0], runs[0][3], runs[0][4]
    shown = []
    for method, levels in config["datasets"][dataset].items():
        if method != "identity":
            level = level_key(levels[len(levels) // 2])
            shown.append((dataset, method, level, model, seed))
    return shown[:4]


def attribution_figure_files(ext):
    return [
        layout.path("analysis", **run_fields(run), analysis="attributions", ext=ext)
        for run in attribution_figure_runs()
    ]


def benchmark_targets():
    """Benchmark files of every job of the study (the runtime figure reads them)."""
    grid = study_grid()
    files = [
        layout.benchmark("prepare_dataset", "data", dataset=d)
        for d in sorted({d for d, _, _ in grid})
    ]
    files += [
        layout.benchmark("compress", "compressed", dataset=d, method=m, level=lv)
        for d, m, lv in grid
    ]
    files += [
        layout.benchmark("train", "runs", **grouped(run_fields(run)))
        for run in grid_runs()
    ]
    files += [
        layout.path(
            "benchmarks",
            folder="train_adaptive",
            job=ADAPTIVE_JOB.format(dataset=d, preset=p, model=mo, seed=job_seed(s)),
        )
        for d, _, p, mo, s in adaptive_runs()
    ]
    if config["analysis"]["enabled"]:
        files += [
            layout.benchmark("analyze_run", "analysis", **grouped(run_fields(run)))
            for run in analysed_runs()
        ]
    files += [
        layout.benchmark(
            "analyze_robustness", "robustness", dataset=d, model=mo, seed=s
        )
        for d, mo, s in robustness_jobs()
    ]
    # the references of the robustness and (analysed) AdaptCompression runs: identity runs of models the
    # grid may not train
    references = robustness_jobs()
    if config["analysis"]["enabled"]:
        references += [(d, mo, s) for d, _, _, mo, s in adaptive_runs()]
    files += [
        layout.benchmark(
            "train",
            "runs",
            **grouped(run_fields((d, "identity", "full", mo, s))),
        )
        for d, mo, s in references
    ]
    compressed = model_grid.compressed_models(config)
    files += [
        layout.benchmark("compress_model", "models", **grouped(m)) for m in compressed
    ]
    if config["analysis"]["enabled"]:
        files += [
            layout.benchmark("analyze_model", "models", **grouped(m))
            for m in compressed
        ]
        referenced = [(d, mo, s) for d, _, _, mo, s in analysed_runs()]
        referenced += [(m["dataset"], m["model"], m["seed"]) for m in compressed]
        files += [
            layout.benchmark(
                "analyze_reference",
                "reference_analysis",
                dataset=d,
                model=mo,
                seed=job_seed(s),
            )
            for d, mo, s in referenced
        ]
    files += [
        layout.benchmark("search_model", "searches", **s)
        for s in model_grid.searches(config)
    ]
    files += [
        layout.benchmark("train", "runs", **grouped(r))
        for r in mlp_study.capacity_runs(config)
    ]
    for r in mlp_study.student_runs(config):
        folder = "train_student" if r["rate"] == mlp_study.DENSE else "train_mcnc"
        files.append(layout.benchmark(folder, "students", **grouped(r)))
        if config["analysis"]["enabled"]:
            files.append(layout.benchmark("analyze_student", "students", **grouped(r)))
    files += [
        layout.benchmark("train_l0", "l0", **grouped(r))
        for r in l0_grid.classifier_runs(config)
    ]
    if config["analysis"]["enabled"]:
        files += [
            layout.benchmark("analyze_l0", "l0", **grouped(r))
            for r in l0_grid.analysed_runs(config)
        ]
    files += [
        layout.benchmark("train_teacher_student", "teacher_student", **grouped(r))
        for r in l0_grid.teacher_student_runs(config)
    ]
    files += [
        layout.benchmark("rate_distortion", "rd", **p) for p in rd_grid.points(config)
    ]
    files += [
        layout.benchmark("fit_coin_ptq", "rd_fits", **f)
        for f in rd_grid.float_fits(config)
    ]
    return list(dict.fromkeys(files))  # a seed-grouped job once


def grouped(fields):
    """A job's fields with the seed as its log and benchmark key spells it (see :func:`job_seed`)."""
    return {**fields, "seed": job_seed(fields["seed"])}


def any_runs():
    """Does the study train anything on its data grid (a rate-distortion-only study does not)?"""
    return bool(run_targets() or adaptive_targets())


def table_path(name):
    return layout.path("tables", table=name)


# Input kinds (shrinkflow.layout.INPUT_KINDS) named by the table and figure registries: each resolves to the
# study's files of that kind. A single-file kind resolves to a path, or to [] when the study has none.
STUDY_FILES = {
    "run_metrics": lambda: run_targets("metrics.json"),
    "run_histories": lambda: run_targets("history.csv"),
    "adaptive_metrics": lambda: adaptive_targets("metrics.json"),
    "adaptive_histories": lambda: adaptive_targets("history.csv"),
    "compressed_sidecars": lambda: compressed_targets("json"),
    "data_sidecars": lambda: data_targets("json"),
    "run_analyses": lambda: analysis_targets(),
    "boundaries_analyses": lambda: analysis_targets(["boundaries"]),
    "attribution_analyses": lambda: attribution_figure_files("json"),
    "attribution_arrays": lambda: attribution_figure_files("npz"),
    "attribution_data": lambda: sorted(
        {
            layout.path("data", dataset=r[0], ext="npz")
            for r in attribution_figure_runs()
        }
    ),
    "robustness_rows": robustness_targets,
    "model_metrics": lambda: compressed_model_targets("metrics.json"),
    "model_histories": lambda: compressed_model_targets("history.csv"),
    "model_analyses": lambda: model_analysis_targets(),
    "search_results": search_targets,
    "capacity_metrics": lambda: capacity_targets(),
    "student_metrics": lambda: student_targets(),
    "student_analyses": lambda: student_analysis_targets(),
    "capacity_table": lambda: (
        table_path("mlp_capacity") if capacity_targets() else []
    ),
    "mcnc_table": lambda: (table_path("mcnc") if student_targets() else []),
    "distillation_table": lambda: (
        table_path("distillation") if student_targets() else []
    ),
    "models_table": lambda: (
        table_path("model_compression") if compressed_model_targets() else []
    ),
    "data_vs_model_table": lambda: (
        table_path("data_vs_model") if compressed_model_targets() else []
    ),
    "l0_metrics": lambda: l0_targets(),
    "l0_analyses": lambda: l0_analysis_targets(),
    "teacher_student_metrics": lambda: teacher_student_targets(),
    "l0_table": lambda: table_path("l0") if l0_targets() else [],
    "teacher_student_table": lambda: (
        table_path("teacher_student") if teacher_student_targets() else []
    ),
    "rd_results": rd_targets,
    "rd_table": lambda: table_path("rate_distortion") if rd_targets() else [],
    "rd_bd_table": lambda: table_path("rate_distortion_bd") if rd_targets() else [],
    "benchmarks": benchmark_targets,
    "runs_table": lambda: table_path("runs") if any_runs() else [],
    "summary_table": lambda: table_path("summary") if any_runs() else [],
    "robustness_table": lambda: (
        table_path("robustness") if robustness_targets() else []
    ),
    "storage_table": lambda: (
        table_path("storage_at_epsilon") if run_targets() else []
    ),
    "amplification_table": lambda: (
        table_path("batchnorm_amplification") if robustness_targets() else []
    ),
}


if set(STUDY_FILES) != set(layout.INPUT_KINDS):
    raise WorkflowError(
        f"STUDY_FILES and shrinkflow.layout.INPUT_KINDS differ: {set(STUDY_FILES) ^ set(layout.INPUT_KINDS)}"
    )


def study_files(kinds):
    """The files of one input kind, or of several kinds concatenated."""
    if isinstance(kinds, str):
        return STUDY_FILES[kinds]()
    return [path for kind in kinds for path in study_files(kind)]


def entry_inputs(entry):
    """Named inputs of a table or figure registry entry."""
    return {name: study_files(kinds) for name, kinds in entry.inputs.items()}


def entry_wanted(entry):
    """A table or figure is part of the study when each input it reads (but its optional ones) exists."""
    optional = getattr(entry, "optional", ())
    return all(
        files for name, files in entry_inputs(entry).items() if name not in optional
    )


def entry_params(entry):
    """A table's parameters, from the dotted config keys its registry entry names."""
    return {name: config_value(config, key) for name, key in entry.params.items()}


def table_targets():
    targets = []
    for entry in tables.TABLES.values():
        if entry_wanted(entry):
            stems = (
                [
                    entry.file_stem.format(study=s)
                    for s in config["reproduction"]["studies"]
                ]
                if "{study}" in entry.file_stem
                else [entry.file_stem]
            )
            targets += [table_path(stem) for stem in stems]
    return targets


def figure_names():
    return [name for name, entry in plots.FIGURES.items() if entry_wanted(entry)]


def figure_targets():
    return [layout.path("figures", figure=name, ext="png") for name in figure_names()]


def report_targets():
    """One page per reproduced study (results/reports/{study}.md)."""
    return [
        layout.path("reports", study=study)
        for study in config["reproduction"]["studies"]
    ]


def all_targets():
    return table_targets() + figure_targets() + report_targets()


# ---- input functions and params of the rules ----


def get_codec_params(wildcards):
    """Parameters of one codec from config (without the view), with the codec's defaults filled in."""
    return codecs.get(wildcards.method).params(
        config["codecs"].get(wildcards.method, {})
    )


def get_view(wildcards):
    """The view a run's model reads: the codec's, or for an AdaptCompression run its preset's."""
    if wildcards.method == "adaptive":
        return config["adaptive"]["presets"][wildcards.level].get(
            "view", "coefficients"
        )
    return view_of(config, wildcards.method)


def analysis_runtime():
    """Minutes for every enabled analysis of one run: the sum of their registry budgets."""
    return sum(analysis.get(n).runtime_min for n in config["analysis"]["enabled"]) or 10


def get_mem_mb(wildcards):
    large = getattr(wildcards, "dataset", "") in _LARGE_DATASETS
    return _MEM_MB["large" if large else "small"]


def get_train_runtime(wildcards):
    """Minutes a training job may take: generous for CPU, per epoch."""
    return 10 + 2 * config["train"]["epochs"]


def grouped_runtime(minutes, seeds):
    """The runtime resource of a seed-grouped rule: ``minutes`` per seed (a number or a function of the
    wildcards) times the seeds one job handles."""
    per_seed_minutes = minutes if callable(minutes) else (lambda wildcards: minutes)
    factor = len(seeds) if GROUP_SEEDS else 1
    return lambda wildcards: per_seed_minutes(wildcards) * factor


def get_gpu(wildcards):
    """One GPU for training jobs when config asks for CUDA (profiles map it to --gpus).

    The analyses load models on the CPU and ask for none."""
    return 1 if config["train"]["device"] == "cuda" else 0


def get_adaptive_preset(wildcards):
    return config["adaptive"]["presets"][wildcards.preset]


#: AdaptCompression runs sit in the runs layout under method "adaptive", level = the preset's name; their
#: logs and benchmarks keep the job key they always had
ADAPTIVE_RUN = {"method": "adaptive", "level": "{preset}"}
ADAPTIVE_JOB = "{dataset}/{preset}/{model}/seed{seed}"
#: the log and benchmark key of a train_adaptive job (seeds grouped or not)
ADAPTIVE_JOB_KEY = ADAPTIVE_JOB.replace("{seed}", SEED_JOB)


def adaptive_run(file):
    return layout.pattern("runs", **ADAPTIVE_RUN, file=file)


def adaptive_artifact(ext):
    """The dct artifact AdaptCompression reads (stored_k × stored_k coefficients)."""
    level = config["adaptive"]["stored_k"]
    return layout.pattern("compressed", method="dct", level=level, ext=ext)


def analysis_inputs(fields):
    """A run's artifact and model, and its reference: same dataset, model and seed, trained on identity
    (``fields``: the run's wildcards with its seed; see :func:`per_seed`)."""
    reference = {**fields, "method": "identity", "level": "full"}
    return {
        "data": layout.path("data", dataset=fields["dataset"], ext="npz"),
        "npz": run_artifact(fields, "npz"),
        "sidecar": run_artifact(fields, "json"),
        "model": layout.path("runs", **fields, file="model.pt"),
        "reference_model": layout.path("runs", **reference, file="model.pt"),
        "reference_cache": reference_cache(fields),
    }


def reference_cache(fields):
    """The reference's half of the analyses (rule analyze_reference) for a run's dataset, model and seed."""
    return layout.path(
        "reference_analysis", **{k: fields[k] for k in ("dataset", "model", "seed")}
    )


def run_artifact(fields, ext):
    """The compressed artifact a run trained on (AdaptCompression runs: the stored dct block)."""
    compressed = {k: fields[k] for k in ("dataset", "method", "level")}
    if fields["method"] == "adaptive":
        compressed.update(method="dct", level=str(config["adaptive"]["stored_k"]))
    return layout.path("compressed", **compressed, ext=ext)


def model_inputs(fields):
    """What compressing a run reads: the run's model and metrics, and its artifact (fine-tuning data);
    ``fields``: the wildcards with the seed (see :func:`per_seed`)."""
    fields = {k: fields[k] for k in layout.fields("runs") if k != "file"}
    return {
        "npz": run_artifact(fields, "npz"),
        "sidecar": run_artifact(fields, "json"),
        "model": layout.path("runs", **fields, file="model.pt"),
        "run_metrics": layout.path("runs", **fields, file="metrics.json"),
    }


def model_analysis_inputs(fields):
    """A compressed model's payload and its run's artifact, and the reference: same dataset, model and seed,
    trained on identity (for a compressed reference run this is the model it came from). ``fields``: the
    wildcards with the seed (see :func:`per_seed`).
    """
    run = {k: fields[k] for k in ("dataset", "method", "level", "model", "seed")}
    return {
        "data": layout.path("data", dataset=fields["dataset"], ext="npz"),
        "npz": run_artifact(run, "npz"),
        "sidecar": run_artifact(run, "json"),
        "payload": layout.path("models", **fields, file=MODEL_PAYLOAD),
        "reference_model": layout.path(
            "runs", **{**run, "method": "identity", "level": "full"}, file="model.pt"
        ),
        "reference_cache": reference_cache(run),
    }


def raw_artifact(dataset, ext):
    """The identity (raw data) artifact of ``dataset``."""
    return run_artifact(
        {"dataset": dataset, "method": "identity", "level": "full"}, ext
    )


def teacher_inputs(seed):
    """The capacity table (it names the teacher) and every capacity model of ``seed`` (the teacher is
    chosen when the job runs, from the table)."""
    return {
        "capacity": table_path("mlp_capacity"),
        "teachers": [
            layout.path("runs", **r, file="model.pt")
            for r in mlp_study.capacity_runs(config)
            if r["seed"] == int(seed)
        ],
    }


def student_inputs(fields):
    """An MCNC run or student reads the raw data; a distilled one also its teacher's candidates
    (``fields``: the wildcards with the seed; see :func:`per_seed`)."""
    inputs = {
        "npz": raw_artifact(fields["dataset"], "npz"),
        "sidecar": raw_artifact(fields["dataset"], "json"),
    }
    if fields["training"] == "distilled":
        inputs.update(teacher_inputs(fields["seed"]))
    return inputs


def student_analysis_inputs(fields):
    return {
        "data": layout.path("data", dataset=fields["dataset"], ext="npz"),
        "npz": raw_artifact(fields["dataset"], "npz"),
        "sidecar": raw_artifact(fields["dataset"], "json"),
        "model": layout.path("students", **fields, file="model.pt"),
        **teacher_inputs(fields["seed"]),
    }


def get_train_settings(wildcards):
    """The trainer settings of a run: the study's, or the MLP study's for its capacity runs."""
    if wildcards.model.startswith("mlp_w") and mlp_study.enabled(config):
        return mlp_study.train_settings(config, mcnc=False)
    return config["train"]


#: the stored file of a compressed model (shrinkflow.model_compression.payload's format)
MODEL_PAYLOAD = "model.bin"


def get_model_compression(wildcards):
    """Settings of the compress_model and search_model rules (recovery, LC, throughput) from config."""
    settings = dict(config["model_compression"])
    for key in ("schemes", "sources", "models", "search"):
        settings.pop(key, None)
    train = config["train"]
    settings.update(
        batch_size=train["batch_size"],
        momentum=train["momentum"],
        weight_decay=train["weight_decay"],
        eval_batch_size=train["eval_batch_size"],
        device=train["device"],
    )
    return settings


def l0_analysis_inputs(run):
    """A sparse l0 run, its dense twin and the raw data they were trained on (``run``: the wildcards with
    the seed; see :func:`per_seed`)."""
    return {
        "data": layout.path("data", dataset=run["dataset"], ext="npz"),
        "npz": raw_artifact(run["dataset"], "npz"),
        "sidecar": raw_artifact(run["dataset"], "json"),
        "model": layout.path("l0", **run, file=MODEL_PAYLOAD),
        "reference_model": layout.path("l0", **l0_grid.twin(run), file=MODEL_PAYLOAD),
    }


def rd_inputs(wildcards):
    """A rate-distortion job reads the prepared dataset, except for the packaged photographs; a coin_ptq
    point also its architecture's shared float fit."""
    inputs = {}
    if wildcards.dataset != rd_grid.PACKAGED:
        inputs["npz"] = layout.path("data", dataset=wildcards.dataset, ext="npz")
    codec, level = getattr(wildcards, "codec", None), getattr(wildcards, "level", None)
    arch = rd_grid.fit_architecture(codec, level) if codec and level else None
    if arch:
        fit = {"dataset": wildcards.dataset, "codec": codec, "arch": arch}
        inputs["float_fits"] = layout.path("rd_fits", **fit, ext="pt")
    return inputs


def get_rd_gpu(wildcards):
    """One GPU for a neural codec whose config asks for CUDA; none for a coin_ptq level, which only
    quantizes its architecture's shared fit."""
    if rd_grid.fit_architecture(wildcards.codec, wildcards.level):
        return 0
    return get_rd_gpu_of(wildcards.codec)


def get_rd_gpu_of(codec):
    device = rd_grid.codec_params(config, codec).get("device", "cpu")
    return 1 if str(device).startswith("cuda") else 0


def robustness_inputs(ext):
    """Compressed test sets (``ext`` npz or json) the robustness analysis of a dataset reads."""

    def inputs(wildcards):
        return [
            layout.path(
                "compressed", dataset=wildcards.dataset, method=m, level=lv, ext=ext
            )
            for m, lv in robustness_grid()[wildcards.dataset]
        ]

    return inputs


def figure_outputs(name):
    return {
        "png": report(
            layout.pattern("figures", figure=name, ext="png"),
            caption=f"../report/{name}.rst",
            category="Figures",
        ),
        "pdf": layout.pattern("figures", figure=name, ext="pdf"),
    }
