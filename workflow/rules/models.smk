# Model compression: a trained run -> a compressed model stored as a real file (results/models/<run>/{scheme}/
# {amount}/model.bin), recovered by fine-tuning or LC, then judged by the per-run analyses against the
# reference; accuracy-targeted searches per run and scheme (results/searches/<run>/{scheme}/search.json).


rule compress_model:
    input:
        unpack(model_inputs),
    output:
        payload=layout.pattern("models", file=MODEL_PAYLOAD),
        metrics=layout.pattern("models", file="metrics.json"),
        history=layout.pattern("models", file="history.csv"),
    log:
        layout.log("compress_model", "models"),
    benchmark:
        layout.benchmark("compress_model", "models")
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
    script:
        "../../scripts/compress_model.py"


# All enabled analyses of one compressed model in one job (the model and data are loaded once); each writes
# the same files as the per-run analyses, under the compressed model's key.
rule analyze_model:
    input:
        unpack(model_analysis_inputs),
    output:
        json=[
            layout.pattern("model_analysis", analysis=name, ext="json")
            for name in config["analysis"]["enabled"]
        ],
        npz=[
            layout.pattern("model_analysis", analysis=name, ext="npz")
            for name in config["analysis"]["enabled"]
        ],
    log:
        layout.log("analyze_model", "models"),
    benchmark:
        layout.benchmark("analyze_model", "models")
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=30,
    params:
        analyses=config["analysis"]["enabled"],
        settings={
            name: config["analysis"][name] for name in config["analysis"]["enabled"]
        },
        view=get_view,
    script:
        "../../scripts/analyze.py"


rule search_model:
    input:
        unpack(model_inputs),
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
