"""Rules analyze_run and analyze_model: every enabled analysis of one run (or one compressed model) against
its reference -> results/analysis/.../{analysis}.json (+ .npz) each."""

from _script_setup import setup

log = setup(snakemake)

import torch

from shrinkflow.analysis.runner import run_analyses, write_results

smk = snakemake
torch.set_num_threads(smk.threads)
results = run_analyses(
    list(smk.params.analyses),
    dict(smk.input.items()),
    run=dict(smk.wildcards.items()),
    view=smk.params.view,
    settings={k: dict(v) for k, v in smk.params.settings.items()},
    log=log,
)
write_results(results, smk.output.json, smk.output.npz)
