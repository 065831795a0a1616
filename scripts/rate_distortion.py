"""Rule rate_distortion: one codec at one level over an image set -> results/rd/{dataset}/{codec}/{level}.json
and the stored payloads beside it (a coin_ptq level quantizes its architecture's shared float fit)."""

from _script_setup import finish, setup

log = setup(snakemake)

from shrinkflow.rd_stage import run_point

smk = snakemake
run_point(
    smk.wildcards.dataset, smk.wildcards.codec, smk.wildcards.level, dict(smk.params.params),
    dict(smk.params.photos), smk.output.json, smk.output.payloads, npz=smk.input.get("npz"),
    limit=smk.params.limit, threads=smk.threads, log=log, float_fits=smk.input.get("float_fits"),
)  # fmt: skip

finish()
