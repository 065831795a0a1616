rule compress:
    input:
        npz=layout.pattern("data", ext="npz"),
    output:
        npz=layout.pattern("compressed", ext="npz"),
        sidecar=layout.pattern("compressed", ext="json"),
    log:
        layout.log("compress", "compressed"),
    benchmark:
        layout.benchmark("compress", "compressed")
    wildcard_constraints:
        method=CODEC_METHODS,
    # first whenever ready: they are short, every training job waits for one, and a compress job asking
    # for all cores would otherwise wait behind a lone training job while the other cores idle
    priority: 10
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]["compress"]
    resources:
        mem_mb=get_mem_mb,
        runtime=30,
    params:
        codec_params=get_codec_params,
        seed=config["codec_seed"],
        lzma_preset=config["compress"]["lzma_preset"],
    script:
        "../../scripts/compress.py"
