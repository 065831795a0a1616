# Correctness and robustness analyses. One rule per registered analysis (shrinkflow.analysis.ANALYSES) and
# one file per run, so adding an analysis reruns nothing else; every run is compared with its reference
# (identity data, same model and seed), which the DAG builds when it is missing.


for name, entry in analysis.ANALYSES.items():

    rule:
        name:
            f"analyze_{name}"
        input:
            unpack(analysis_inputs),
        output:
            json=layout.pattern("analysis", analysis=name, ext="json"),
            npz=layout.pattern("analysis", analysis=name, ext="npz"),
        log:
            layout.log(f"analyze_{name}", "analysis"),
        benchmark:
            layout.benchmark(f"analyze_{name}", "analysis")
        conda:
            "../../envs/torch.yaml"
        threads: 1
        resources:
            mem_mb=get_mem_mb,
            runtime=entry.runtime_min,
        params:
            analysis=name,
            settings=config["analysis"][name],
            view=get_view,
        script:
            "../../scripts/analyze.py"


rule analyze_robustness:
    input:
        data=layout.pattern("data", ext="npz"),
        reference_model=layout.pattern(
            "runs", method="identity", level="full", file="model.pt"
        ),
        test_sets=robustness_inputs("npz"),
        test_sidecars=robustness_inputs("json"),
    output:
        csv=layout.pattern("robustness"),
    log:
        layout.log("analyze_robustness", "robustness"),
    benchmark:
        layout.benchmark("analyze_robustness", "robustness")
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=30,
    script:
        "../../scripts/analyze_robustness.py"
