# Seeds grouped (config group_seeds, the default): one job trains every seed of a run; else one job per seed.
rule train:
    input:
        npz=layout.pattern("compressed", ext="npz"),
        sidecar=layout.pattern("compressed", ext="json"),
    output:
        model=seeded(layout.pattern("runs", file="model.pt"), config["seeds"]),
        metrics=seeded(layout.pattern("runs", file="metrics.json"), config["seeds"]),
        history=seeded(layout.pattern("runs", file="history.csv"), config["seeds"]),
    log:
        layout.log("train", "runs", seed=SEED_JOB),
    benchmark:
        layout.benchmark("train", "runs", seed=SEED_JOB)
    wildcard_constraints:
        method=CODEC_METHODS,
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]["train"]
    resources:
        mem_mb=get_mem_mb,
        runtime=grouped_runtime(get_train_runtime, config["seeds"]),
        gpu=get_gpu,
    params:
        seeds=job_seeds(config["seeds"]),
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
        model=seeded(adaptive_run("model.pt"), config["seeds"]),
        metrics=seeded(adaptive_run("metrics.json"), config["seeds"]),
        history=seeded(adaptive_run("history.csv"), config["seeds"]),
    log:
        layout.path("logs", folder="train_adaptive", job=ADAPTIVE_JOB_KEY),
    benchmark:
        layout.path("benchmarks", folder="train_adaptive", job=ADAPTIVE_JOB_KEY)
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]["train"]
    resources:
        mem_mb=get_mem_mb,
        runtime=grouped_runtime(get_train_runtime, config["seeds"]),
        gpu=get_gpu,
    params:
        seeds=job_seeds(config["seeds"]),
        adaptive=get_adaptive_preset,
        train=config["train"],
    script:
        "../../scripts/train_adaptive.py"
