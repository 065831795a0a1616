"""Rule compress: results/data/{dataset}.npz -> results/compressed/{dataset}/{method}/{level}.npz + .json."""

from _script_setup import finish, setup

log = setup(snakemake)

from shrinkflow import artifacts
from shrinkflow.compress import compress_dataset

wc = snakemake.wildcards
data = artifacts.load_npz(snakemake.input.npz)
arrays, sidecar = compress_dataset(
    data,
    wc.method,
    wc.level,
    params=snakemake.params.codec_params,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
    lzma_preset=snakemake.params.lzma_preset,
)
sidecar["dataset"] = wc.dataset
sidecar["num_classes"] = int(len(data["class_names"]))
log.info(
    "%s %s: %d stored bytes (%.1f bits/sample, %.3f of raw)",
    wc.method,
    wc.level,
    sidecar["stored_bytes"],
    sidecar["bits_per_sample"],
    sidecar["ratio_to_raw"],
)
artifacts.save_npz(snakemake.output.npz, arrays)
artifacts.write_json(snakemake.output.sidecar, sidecar)

finish()
