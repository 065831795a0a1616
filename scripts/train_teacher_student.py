"""Rule train_teacher_student: one ℓ0 method at one strength on a teacher–student student trained on
{samples} samples of the teacher of {seed} -> {model.bin (the payload), metrics.json, history.csv}."""

from _script_setup import setup

log = setup(snakemake)

from shrinkflow.l0_stage import train_teacher_student

smk = snakemake
train_teacher_student(
    dict(smk.output.items()),
    run=dict(smk.wildcards.items()),
    regression=dict(smk.params.regression),
    settings=dict(smk.params.settings),
    threads=smk.threads,
    log=log,
)
