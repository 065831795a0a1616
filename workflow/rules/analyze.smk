# Correctness and robustness analyses. Each per-run analysis is its own rule and file, so adding one
# reruns nothing else; every run is compared with its reference (identity data, same model and seed),
# which the DAG builds when it is missing.


rule analyze_output:
    input:
        unpack(analysis_inputs),
    output:
        json="results/analysis/{dataset}/{method}/{level}/{model}/seed{seed}/output.json",
        npz="results/analysis/{dataset}/{method}/{level}/{model}/seed{seed}/output.npz",
    log:
        "logs/analyze_output/{dataset}/{method}/{level}/{model}/seed{seed}.log",
    benchmark:
        "results/benchmarks/analyze_output/{dataset}/{method}/{level}/{model}/seed{seed}.tsv"
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb("analyze_output"),
        runtime=20,
    params:
        settings=config["analysis"]["output"],
        view=get_view,
    script:
        "../../scripts/analyze.py"


rule analyze_features:
    input:
        unpack(analysis_inputs),
    output:
        json="results/analysis/{dataset}/{method}/{level}/{model}/seed{seed}/features.json",
        npz="results/analysis/{dataset}/{method}/{level}/{model}/seed{seed}/features.npz",
    log:
        "logs/analyze_features/{dataset}/{method}/{level}/{model}/seed{seed}.log",
    benchmark:
        "results/benchmarks/analyze_features/{dataset}/{method}/{level}/{model}/seed{seed}.tsv"
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb("analyze_features"),
        runtime=20,
    params:
        settings=config["analysis"]["features"],
        view=get_view,
    script:
        "../../scripts/analyze.py"


rule analyze_attributions:
    input:
        unpack(analysis_inputs),
    output:
        json="results/analysis/{dataset}/{method}/{level}/{model}/seed{seed}/attributions.json",
        npz="results/analysis/{dataset}/{method}/{level}/{model}/seed{seed}/attributions.npz",
    log:
        "logs/analyze_attributions/{dataset}/{method}/{level}/{model}/seed{seed}.log",
    benchmark:
        "results/benchmarks/analyze_attributions/{dataset}/{method}/{level}/{model}/seed{seed}.tsv"
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb("analyze_attributions"),
        runtime=60,
    params:
        settings=config["analysis"]["attributions"],
        view=get_view,
    script:
        "../../scripts/analyze.py"


rule analyze_boundaries:
    input:
        unpack(analysis_inputs),
    output:
        json="results/analysis/{dataset}/{method}/{level}/{model}/seed{seed}/boundaries.json",
        npz="results/analysis/{dataset}/{method}/{level}/{model}/seed{seed}/boundaries.npz",
    log:
        "logs/analyze_boundaries/{dataset}/{method}/{level}/{model}/seed{seed}.log",
    benchmark:
        "results/benchmarks/analyze_boundaries/{dataset}/{method}/{level}/{model}/seed{seed}.tsv"
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb("analyze_boundaries"),
        runtime=60,
    params:
        settings=config["analysis"]["boundaries"],
        view=get_view,
    script:
        "../../scripts/analyze.py"


rule analyze_robustness:
    input:
        data="results/data/{dataset}.npz",
        reference_model="results/runs/{dataset}/identity/full/{model}/seed{seed}/model.pt",
        test_sets=robustness_inputs(".npz"),
        test_sidecars=robustness_inputs(".json"),
    output:
        csv="results/robustness/{dataset}/{model}/seed{seed}.csv",
    log:
        "logs/analyze_robustness/{dataset}/{model}/seed{seed}.log",
    benchmark:
        "results/benchmarks/analyze_robustness/{dataset}/{model}/seed{seed}.tsv"
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb("analyze_robustness"),
        runtime=30,
    script:
        "../../scripts/analyze_robustness.py"
