rule prepare_dataset:
    output:
        npz="results/data/{dataset}.npz",
        sidecar="results/data/{dataset}.json",
    log:
        "logs/prepare_dataset/{dataset}.log",
    benchmark:
        "results/benchmarks/prepare_dataset/{dataset}.tsv"
    conda:
        "../../envs/shrinkflow.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb("prepare_dataset"),
        runtime=30,
    params:
        data_root=config["data"]["root"],
        download=config["data"]["download"],
        cache_dir=config["data"]["cache_dir"],
        split_seed=config["data"]["split_seed"],
        timeout_s=config["data"]["download_timeout_s"],
    script:
        "../../scripts/prepare_dataset.py"
