"""Rule compress: results/data/{dataset}.npz -> results/compressed/{dataset}/{method}/{level}.npz + .json."""

from _script_setup import setup

log = setup(snakemake)  # noqa: F821

from shrinkflow import artifacts  # noqa: E402
from shrinkflow.compress import compress_dataset  # noqa: E402

wc = snakemake.wildcards  # noqa: F821
data = artifacts.load_npz(snakemake.input.npz)  # noqa: F821
arrays, sidecar = compress_dataset(
    data,
    wc.method,
    wc.level,
    params=snakemake.params.codec_params,  # noqa: F821
    seed=snakemake.params.seed,  # noqa: F821
    threads=snakemake.threads,  # noqa: F821
    lzma_preset=snakemake.params.lzma_preset,  # noqa: F821
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
artifacts.save_npz(snakemake.output.npz, arrays)  # noqa: F821
artifacts.write_json(snakemake.output.sidecar, sidecar)  # noqa: F821
