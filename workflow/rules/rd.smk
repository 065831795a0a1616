# The rate-distortion stage: one job per (image set, codec, level) encodes every image, stores each payload
# (results/rd/{dataset}/{codec}/{level}.payloads/), decodes the stored bytes and writes the point's
# CompressAI-style JSON. Neural codecs (COIN and its variants) fit here; they ask for a GPU when their
# params set device: cuda. The coin_ptq levels of one architecture quantize one shared float fit
# (results/rd/{dataset}/coin_ptq/float/{arch}.pt, rule fit_coin_ptq) instead of fitting it per level.


rule rate_distortion:
    input:
        unpack(rd_inputs),
    output:
        json=layout.pattern("rd"),
        payloads=directory(layout.pattern("rd_payloads")),
    log:
        layout.log("rate_distortion", "rd"),
    benchmark:
        layout.benchmark("rate_distortion", "rd")
    wildcard_constraints:
        dataset="|".join(rd_grid.image_sets()),
        codec="|".join(rd.names()),
        level=rd_grid.LEVEL_REGEX,
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]["train"]
    resources:
        mem_mb=get_mem_mb,
        runtime=get_train_runtime,
        gpu=get_rd_gpu,
    params:
        params=lambda wildcards: rd_grid.codec_params(config, wildcards.codec),
        photos=lambda wildcards: dict(config["rate_distortion"]["photos"]),
        limit=lambda wildcards: config["rate_distortion"]["limit"],
    script:
        "../../scripts/rate_distortion.py"


rule fit_coin_ptq:
    input:
        unpack(rd_inputs),
    output:
        fits=layout.pattern("rd_fits", codec=rd_grid.SHARED_FIT, ext="pt"),
        sidecar=layout.pattern("rd_fits", codec=rd_grid.SHARED_FIT, ext="json"),
    log:
        layout.log("fit_coin_ptq", "rd_fits", codec=rd_grid.SHARED_FIT),
    benchmark:
        layout.benchmark("fit_coin_ptq", "rd_fits", codec=rd_grid.SHARED_FIT)
    wildcard_constraints:
        dataset="|".join(rd_grid.image_sets()),
        arch=r"\d+x\d+",
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]["train"]
    resources:
        mem_mb=get_mem_mb,
        runtime=get_train_runtime,
        gpu=lambda wildcards: get_rd_gpu_of(rd_grid.SHARED_FIT),
    params:
        params=lambda wildcards: rd_grid.codec_params(config, rd_grid.SHARED_FIT),
        photos=lambda wildcards: dict(config["rate_distortion"]["photos"]),
        limit=lambda wildcards: config["rate_distortion"]["limit"],
    script:
        "../../scripts/fit_coin_ptq.py"
