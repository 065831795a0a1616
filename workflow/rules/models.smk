# Model compression: a trained run -> a compressed model stored as a real file (results/models/<run>/{scheme}/
# {amount}/model.bin), recovered by fine-tuning or LC, then judged by the per-run analyses against the
# reference; accuracy-targeted searches per run and scheme (results/searches/<run>/{scheme}/search.json).


rule compress_model:
    input:
        unpack(per_seed(model_inputs, config["seeds"])),
    output:
        payload=seeded(layout.pattern("models", file=MODEL_PAYLOAD), config["seeds"]),
        metrics=seeded(layout.pattern("models", file="metrics.json"), config["seeds"]),
        history=seeded(layout.pattern("models", file="history.csv"), config["seeds"]),
    log:
        layout.log("compress_model", "models", seed=SEED_JOB),
    benchmark:
        layout.benchmark("compress_model", "models", seed=SEED_JOB)
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=grouped_runtime(get_train_runtime, config["seeds"]),
        gpu=get_gpu,
    params:
        seeds=job_seeds(config["seeds"]),
        view=get_view,
        settings=get_model_compression,
    script:
        "../../scripts/compress_model.py"


# All enabled analyses of one compressed model in one job (the model and data are loaded once); each writes
# the same files as the per-run analyses, under the compressed model's key.
rule analyze_model:
    input:
        unpack(per_seed(model_analysis_inputs, config["seeds"])),
    output:
        json=seeded(
            [
                layout.pattern("model_analysis", analysis=name, ext="json")
                for name in config["analysis"]["enabled"]
            ],
            config["seeds"],
        ),
        npz=seeded(
            [
                layout.pattern("model_analysis", analysis=name, ext="npz")
                for name in config["analysis"]["enabled"]
            ],
            config["seeds"],
        ),
    log:
        layout.log("analyze_model", "models", seed=SEED_JOB),
    benchmark:
        layout.benchmark("analyze_model", "models", seed=SEED_JOB)
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=grouped_runtime(30, config["seeds"]),
    params:
        seeds=job_seeds(config["seeds"]),
        analyses=config["analysis"]["enabled"],
        settings={
            name: config["analysis"][name] for name in config["analysis"]["enabled"]
        },
        view=get_view,
    script:
        "../../scripts/analyze.py"


rule search_model:
    input:
        unpack(lambda wildcards: model_inputs(dict(wildcards.items()))),
    output:
        search=layout.pattern("searches", file="search.json"),
    log:
        layout.log("search_model", "searches"),
    benchmark:
        layout.benchmark("search_model", "searches")
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=get_train_runtime,
        gpu=get_gpu,
    params:
        view=get_view,
        settings=get_model_compression,
        search=config["model_compression"]["search"],
    script:
        "../../scripts/search_model.py"
