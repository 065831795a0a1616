"""Rule search_model: accuracy-targeted search of one run and scheme -> results/searches/<run>/{scheme}/."""

from _script_setup import finish, setup

log = setup(snakemake)

from shrinkflow.model_stage import search_run

smk = snakemake
search_run(
    dict(smk.input.items()),
    smk.output.search,
    run=dict(smk.wildcards.items()),
    view=smk.params.view,
    settings=dict(smk.params.settings),
    search=dict(smk.params.search),
    threads=smk.threads,
    log=log,
)

finish()
