# One rule per figure (PNG for viewing, PDF for papers); captions in workflow/report/*.rst.


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
