"""Rule analyze_l0: every enabled analysis of an ℓ0 classifier against its dense twin (JSON + npz each), for
each seed of the job."""

from _script_setup import finish, for_each_seed, setup

log = setup(snakemake)

import torch

from shrinkflow.l0_stage import analyze_classifier

smk = snakemake
torch.set_num_threads(smk.threads)


def work(seed, inputs, outputs):
    analyze_classifier(
        inputs,
        outputs["json"],
        outputs["npz"],
        run={**dict(smk.wildcards.items()), "seed": str(seed)},
        analyses=list(smk.params.analyses),
        settings={k: dict(v) for k, v in smk.params.settings.items()},
        log=log,
    )


for_each_seed(smk, work, output_lists=("json", "npz"))

finish()
