"""Rule compress_model: a trained run -> results/models/<run>/{scheme}/{amount}/{model.bin, metrics.json,
history.csv}."""

from _script_setup import setup

log = setup(snakemake)

from shrinkflow.model_stage import compress_run

smk = snakemake
compress_run(
    dict(smk.input.items()),
    dict(smk.output.items()),
    run=dict(smk.wildcards.items()),
    view=smk.params.view,
    settings=dict(smk.params.settings),
    threads=smk.threads,
    log=log,
)
