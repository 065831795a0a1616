"""Rule train_l0: one ℓ0 method at one strength on a registry classifier (raw pixels of the dataset's identity
artifact) -> {model.bin (the payload), metrics.json, history.csv}."""

from _script_setup import setup

log = setup(snakemake)

from shrinkflow.l0_stage import train_classifier

smk = snakemake
train_classifier(
    {k: smk.input[k] for k in ("npz", "sidecar")},
    dict(smk.output.items()),
    run=dict(smk.wildcards.items()),
    train=dict(smk.params.train),
    settings=dict(smk.params.settings),
    threads=smk.threads,
    log=log,
)
