"""Rules analyze_run and analyze_model: every enabled analysis of one run (or one compressed model) against
its reference -> results/analysis/.../{analysis}.json (+ .npz) each, for each seed of the job."""

from _script_setup import finish, for_each_seed, setup

log = setup(snakemake)

import torch

from shrinkflow.analysis.runner import run_analyses, write_results

smk = snakemake
torch.set_num_threads(smk.threads)


def work(seed, inputs, outputs):
    results = run_analyses(
        list(smk.params.analyses),
        inputs,
        run={**dict(smk.wildcards.items()), "seed": str(seed)},
        view=smk.params.view,
        settings={k: dict(v) for k, v in smk.params.settings.items()},
        log=log,
    )
    write_results(results, outputs["json"], outputs["npz"])


for_each_seed(smk, work, output_lists=("json", "npz"))

finish()
