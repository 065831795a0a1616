rule compress:
    input:
        npz="results/data/{dataset}.npz",
    output:
        npz="results/compressed/{dataset}/{method}/{level}.npz",
        sidecar="results/compressed/{dataset}/{method}/{level}.json",
    params:
        codec_params=get_codec_params,
        seed=config["codec_seed"],
    log:
        "logs/compress/{dataset}/{method}/{level}.log",
    benchmark:
        "results/benchmarks/compress/{dataset}/{method}/{level}.tsv"
    threads: config["threads"]["compress"]
    resources:
        mem_mb=get_mem_mb("compress"),
        runtime=30,
    conda:
        "../../envs/shrinkflow.yaml"
    script:
        "../../scripts/compress.py"
