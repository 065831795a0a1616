# Correctness and robustness analyses. Every enabled analysis of one run in one job (shrinkflow.analysis.ANALYSES,
# one file each per run): a job pays one Python start, one `import torch` and one load of the run pair for all
# of them. Changing one analysis's settings reruns every analysis of the runs (README "How caching works").
# Every run is compared with its reference (identity data, same model and seed), built when missing. What the
# analyses compute on the reference alone is computed once per reference (analyze_reference) and read by
# every analyze_run and analyze_model job of that reference (shrinkflow.analysis.reference).


rule analyze_reference:
    input:
        data=layout.pattern("data", ext="npz"),
        data_sidecar=layout.pattern("data", ext="json"),
        model=seeded(
            layout.pattern("runs", method="identity", level="full", file="model.pt"),
            config["seeds"],
        ),
    output:
        npz=seeded(layout.pattern("reference_analysis"), config["seeds"]),
    log:
        layout.log("analyze_reference", "reference_analysis", seed=SEED_JOB),
    benchmark:
        layout.benchmark("analyze_reference", "reference_analysis", seed=SEED_JOB)
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=grouped_runtime(analysis_runtime(), config["seeds"]),
    params:
        seeds=job_seeds(config["seeds"]),
        analyses=config["analysis"]["enabled"],
        settings={
            name: config["analysis"][name] for name in config["analysis"]["enabled"]
        },
    script:
        "../../scripts/analyze_reference.py"


rule analyze_run:
    input:
        unpack(per_seed(analysis_inputs, config["seeds"])),
    output:
        json=seeded(
            [
                layout.pattern("analysis", analysis=name, ext="json")
                for name in config["analysis"]["enabled"]
            ],
            config["seeds"],
        ),
        npz=seeded(
            [
                layout.pattern("analysis", analysis=name, ext="npz")
                for name in config["analysis"]["enabled"]
            ],
            config["seeds"],
        ),
    log:
        layout.log("analyze_run", "analysis", seed=SEED_JOB),
    benchmark:
        layout.benchmark("analyze_run", "analysis", seed=SEED_JOB)
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=grouped_runtime(analysis_runtime(), config["seeds"]),
    params:
        seeds=job_seeds(config["seeds"]),
        analyses=config["analysis"]["enabled"],
        settings={
            name: config["analysis"][name] for name in config["analysis"]["enabled"]
        },
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
