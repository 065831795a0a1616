rule prepare_dataset:
    output:
        npz=layout.pattern("data", ext="npz"),
        sidecar=layout.pattern("data", ext="json"),
    log:
        layout.log("prepare_dataset", "data"),
    benchmark:
        layout.benchmark("prepare_dataset", "data")
    priority: 10  # everything downstream waits for it (see rule compress)
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=30,
    params:
        data_root=config["data"]["root"],
        download=config["data"]["download"],
        cache_dir=config["data"]["cache_dir"],
        split_seed=config["data"]["split_seed"],
        timeout_s=config["data"]["download_timeout_s"],
    script:
        "../../scripts/prepare_dataset.py"
