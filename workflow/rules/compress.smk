rule compress:
    input:
        npz="results/data/{dataset}.npz",
    output:
        npz="results/compressed/{dataset}/{method}/{level}.npz",
        sidecar="results/compressed/{dataset}/{method}/{level}.json",
    log:
        "logs/compress/{dataset}/{method}/{level}.log",
    benchmark:
        "results/benchmarks/compress/{dataset}/{method}/{level}.tsv"
    conda:
        "../../envs/shrinkflow.yaml"
    threads: config["threads"]["compress"]
    resources:
        mem_mb=get_mem_mb("compress"),
        runtime=30,
    params:
        codec_params=get_codec_params,
        seed=config["codec_seed"],
        lzma_preset=config["compress"]["lzma_preset"],
    script:
        "../../scripts/compress.py"
