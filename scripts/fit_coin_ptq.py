"""Rule fit_coin_ptq: plain COIN at one architecture fitted to every image of an image set, once for all
coin_ptq levels of that architecture -> results/rd/{dataset}/coin_ptq/float/{arch}.pt (+ .json)."""

from _script_setup import finish, setup

log = setup(snakemake)

from shrinkflow.rd_stage import fit_float_point

smk = snakemake
fit_float_point(
    smk.wildcards.dataset, smk.wildcards.arch, dict(smk.params.params), dict(smk.params.photos),
    smk.output.fits, smk.output.sidecar, npz=smk.input.get("npz"), limit=smk.params.limit,
    threads=smk.threads, log=log,
)  # fmt: skip

finish()
