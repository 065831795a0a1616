"""Rule train_teacher_student: one ℓ0 method at one strength on a teacher–student student trained on
{samples} samples of the teacher of each seed of the job -> {model.bin (the payload), metrics.json,
history.csv}."""

from _script_setup import finish, for_each_seed, setup

log = setup(snakemake)

from shrinkflow.l0_stage import train_teacher_student

smk = snakemake


def work(seed, _, outputs):
    train_teacher_student(
        outputs,
        run={**dict(smk.wildcards.items()), "seed": str(seed)},
        regression=dict(smk.params.regression),
        settings=dict(smk.params.settings),
        threads=smk.threads,
        log=log,
    )


for_each_seed(smk, work)

finish()
