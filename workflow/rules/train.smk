rule train:
    input:
        npz="results/compressed/{dataset}/{method}/{level}.npz",
        sidecar="results/compressed/{dataset}/{method}/{level}.json",
    output:
        model="results/runs/{dataset}/{method}/{level}/{model}/seed{seed}/model.pt",
        metrics="results/runs/{dataset}/{method}/{level}/{model}/seed{seed}/metrics.json",
        history="results/runs/{dataset}/{method}/{level}/{model}/seed{seed}/history.csv",
    log:
        "logs/train/{dataset}/{method}/{level}/{model}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train/{dataset}/{method}/{level}/{model}/seed{seed}.tsv"
    conda:
        "../../envs/shrinkflow.yaml"
    threads: config["threads"]["train"]
    resources:
        mem_mb=get_mem_mb("train"),
        runtime=get_train_runtime,
        gpu=get_gpu,
    params:
        view=get_view,
        train=config["train"],
    script:
        "../../scripts/train.py"


rule train_adaptive:
    input:
        npz=f"results/compressed/{{dataset}}/dct/{config['adaptive']['stored_k']}.npz",
        sidecar=f"results/compressed/{{dataset}}/dct/{config['adaptive']['stored_k']}.json",
    output:
        model="results/runs/{dataset}/adaptive/{preset}/{model}/seed{seed}/model.pt",
        metrics="results/runs/{dataset}/adaptive/{preset}/{model}/seed{seed}/metrics.json",
        history="results/runs/{dataset}/adaptive/{preset}/{model}/seed{seed}/history.csv",
    log:
        "logs/train_adaptive/{dataset}/{preset}/{model}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_adaptive/{dataset}/{preset}/{model}/seed{seed}.tsv"
    conda:
        "../../envs/shrinkflow.yaml"
    threads: config["threads"]["train"]
    resources:
        mem_mb=get_mem_mb("train_adaptive"),
        runtime=get_train_runtime,
        gpu=get_gpu,
    params:
        adaptive=get_adaptive_preset,
        train=config["train"],
    script:
        "../../scripts/train_adaptive.py"
