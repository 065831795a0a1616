"""Rule train_l0: one ℓ0 method at one strength on a registry classifier (raw pixels of the dataset's identity
artifact) -> {model.bin (the payload), metrics.json, history.csv}, for each seed of the job."""

from _script_setup import finish, for_each_seed, setup

log = setup(snakemake)

from shrinkflow.l0_stage import train_classifier

smk = snakemake


def work(seed, inputs, outputs):
    train_classifier(
        {k: inputs[k] for k in ("npz", "sidecar")},
        outputs,
        run={**dict(smk.wildcards.items()), "seed": str(seed)},
        train=dict(smk.params.train),
        settings=dict(smk.params.settings),
        threads=smk.threads,
        log=log,
    )


for_each_seed(smk, work)

finish()
