rule train:
    input:
        npz=layout.pattern("compressed", ext="npz"),
        sidecar=layout.pattern("compressed", ext="json"),
    output:
        model=layout.pattern("runs", file="model.pt"),
        metrics=layout.pattern("runs", file="metrics.json"),
        history=layout.pattern("runs", file="history.csv"),
    log:
        layout.log("train", "runs"),
    benchmark:
        layout.benchmark("train", "runs")
    wildcard_constraints:
        method=CODEC_METHODS,
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]["train"]
    resources:
        mem_mb=get_mem_mb,
        runtime=get_train_runtime,
        gpu=get_gpu,
    params:
        view=get_view,
        train=get_train_settings,
    script:
        "../../scripts/train.py"


# AdaptCompression: a training mode of the dct artifact; its runs sit under method "adaptive", level {preset}.
rule train_adaptive:
    input:
        npz=adaptive_artifact("npz"),
        sidecar=adaptive_artifact("json"),
    output:
        model=adaptive_run("model.pt"),
        metrics=adaptive_run("metrics.json"),
        history=adaptive_run("history.csv"),
    log:
        layout.path("logs", folder="train_adaptive", job=ADAPTIVE_JOB),
    benchmark:
        layout.path("benchmarks", folder="train_adaptive", job=ADAPTIVE_JOB)
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]["train"]
    resources:
        mem_mb=get_mem_mb,
        runtime=get_train_runtime,
        gpu=get_gpu,
    params:
        adaptive=get_adaptive_preset,
        train=config["train"],
    script:
        "../../scripts/train_adaptive.py"
