"""Rule prepare_dataset: raw files -> results/data/{dataset}.npz (+ .json sidecar)."""

from _script_setup import finish, setup

log = setup(snakemake)

from shrinkflow import artifacts, datasets

params = snakemake.params
arrays, meta = datasets.get(snakemake.wildcards.dataset).prepare(
    data_root=params.data_root,
    download=params.download,
    split_seed=params.split_seed,
    cache_dir=params.cache_dir,
    timeout_s=params.timeout_s,
)
log.info(
    "prepared %s: %d train / %d test, image shape %s",
    meta["dataset"],
    meta["n_train"],
    meta["n_test"],
    meta["image_shape"],
)
artifacts.save_npz(snakemake.output.npz, arrays)
artifacts.write_json(snakemake.output.sidecar, meta)

finish()
