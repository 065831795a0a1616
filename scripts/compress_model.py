"""Rule compress_model: a trained run -> results/models/<run>/{scheme}/{amount}/{model.bin, metrics.json,
history.csv}, for each seed of the job."""

from _script_setup import finish, for_each_seed, setup

log = setup(snakemake)

from shrinkflow.model_stage import compress_run

smk = snakemake


def work(seed, inputs, outputs):
    compress_run(
        inputs,
        outputs,
        run={**dict(smk.wildcards.items()), "seed": str(seed)},
        view=smk.params.view,
        settings=dict(smk.params.settings),
        threads=smk.threads,
        log=log,
    )


for_each_seed(smk, work)

finish()
