"""Rule analyze_l0: every enabled analysis of an ℓ0 classifier against its dense twin (JSON + npz each)."""

from _script_setup import setup

log = setup(snakemake)

import torch

from shrinkflow.l0_stage import analyze_classifier

smk = snakemake
torch.set_num_threads(smk.threads)
analyze_classifier(
    dict(smk.input.items()),
    list(smk.output.json),
    list(smk.output.npz),
    run=dict(smk.wildcards.items()),
    analyses=list(smk.params.analyses),
    settings={k: dict(v) for k, v in smk.params.settings.items()},
    log=log,
)
