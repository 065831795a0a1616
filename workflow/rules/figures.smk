# One rule per figure (PNG for viewing, PDF for papers); captions in workflow/report/*.rst.


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
    runs, seen = [], set()
    first = grid_runs()[0] if grid_runs() else None
    for dataset, method, level, model, seed in grid_runs():
        if (
            method == "identity"
            or method in seen
            or (dataset, model, seed) != (first[0], first[3], first[4])
        ):
            continue
        levels = [lv for d, m, lv in study_grid() if d == dataset and m == method]
        if level == levels[len(levels) // 2]:
            runs.append((dataset, method, level, model, seed))
            seen.add(method)
    return runs[:4]


def attribution_figure_inputs(wildcards):
    runs = attribution_figure_runs()
    prefix = "results/analysis/{}/{}/{}/{}/seed{}/attributions"
    return {
        "json": [prefix.format(*run) + ".json" for run in runs],
        "npz": [prefix.format(*run) + ".npz" for run in runs],
        "data": sorted({f"results/data/{run[0]}.npz" for run in runs}),
    }


rule figure_accuracy_vs_bits:
    input:
        summary="results/tables/summary.csv",
    output:
        **figure_outputs("accuracy_vs_bits"),
    log:
        "logs/figures/accuracy_vs_bits.log",
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/figures.py"


rule figure_training_curves:
    input:
        histories=run_targets("history.csv"),
    output:
        **figure_outputs("training_curves"),
    log:
        "logs/figures/training_curves.log",
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/figures.py"


rule figure_adaptive_fractions:
    input:
        histories=adaptive_targets("history.csv"),
        metrics=adaptive_targets("metrics.json"),
    output:
        **figure_outputs("adaptive_fractions"),
    log:
        "logs/figures/adaptive_fractions.log",
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/figures.py"


rule figure_per_class_heatmap:
    input:
        metrics=grid_metrics(),
        data_sidecars=sorted({f"results/data/{d}.json" for d, _, _ in study_grid()}),
    output:
        **figure_outputs("per_class_heatmap"),
    log:
        "logs/figures/per_class_heatmap.log",
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/figures.py"


rule figure_attribution_overlays:
    input:
        unpack(attribution_figure_inputs),
    output:
        **figure_outputs("attribution_overlays"),
    log:
        "logs/figures/attribution_overlays.log",
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/figures.py"


rule figure_robustness:
    input:
        table="results/tables/robustness.csv",
    output:
        **figure_outputs("robustness"),
    log:
        "logs/figures/robustness.log",
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/figures.py"


rule figure_boundary_ratios:
    input:
        analyses=analysis_targets(["boundaries"]),
    output:
        **figure_outputs("boundary_ratios"),
    log:
        "logs/figures/boundary_ratios.log",
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/figures.py"


rule figure_runtime:
    input:
        benchmarks=benchmark_targets(),
    output:
        **figure_outputs("runtime"),
    log:
        "logs/figures/runtime.log",
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/figures.py"
