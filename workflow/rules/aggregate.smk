# Tables and figures. Each table and figure is its own rule with exactly the inputs it needs, so
# `snakemake results/figures/<name>.png` builds only what that figure depends on.


rule table_runs:
    input:
        metrics=grid_metrics() + adaptive_targets("metrics.json"),
        compressed=compressed_targets(),
        analyses=analysis_targets(),
    output:
        report(
            "results/tables/runs.csv",
            caption="../report/table_runs.rst",
            category="Tables",
        ),
    log:
        "logs/tables/runs.log",
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/tables.py"


rule table_summary:
    input:
        runs="results/tables/runs.csv",
    output:
        report(
            "results/tables/summary.csv",
            caption="../report/table_summary.rst",
            category="Tables",
        ),
    log:
        "logs/tables/summary.log",
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/tables.py"


rule table_storage_at_epsilon:
    input:
        metrics=grid_metrics(),
        compressed=compressed_targets(),
    output:
        report(
            "results/tables/storage_at_epsilon.csv",
            caption="../report/table_storage_at_epsilon.rst",
            category="Tables",
        ),
    log:
        "logs/tables/storage_at_epsilon.log",
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        epsilons=config["analysis"]["storage"]["epsilons"],
    script:
        "../../scripts/tables.py"


rule table_robustness:
    input:
        rows=robustness_targets(),
    output:
        robustness=report(
            "results/tables/robustness.csv",
            caption="../report/table_robustness.rst",
            category="Tables",
        ),
        amplification=report(
            "results/tables/batchnorm_amplification.csv",
            caption="../report/table_batchnorm_amplification.rst",
            category="Tables",
        ),
    log:
        "logs/tables/robustness.log",
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        plain_model=config["analysis"]["robustness"]["plain_model"],
        bn_model=config["analysis"]["robustness"]["bn_model"],
    script:
        "../../scripts/tables.py"


rule table_reproduction:
    input:
        summary="results/tables/summary.csv",
    output:
        report(
            "results/tables/reproduction_{study}.csv",
            caption="../report/table_reproduction.rst",
            category="Tables",
        ),
    log:
        "logs/tables/reproduction_{study}.log",
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        tolerance=config["reproduction"]["tolerance"],
    script:
        "../../scripts/tables.py"
