"""Rules train_mcnc / train_student: an MCNC run or a distillation student -> results/students/<run>/{rate}/
{training}/{model.pt, metrics.json, history.csv} (+ model.bin, the MCNC payload), for each seed of the job."""

from _script_setup import finish, for_each_seed, setup

log = setup(snakemake)

from shrinkflow.student_stage import train_student

smk = snakemake


def work(seed, inputs, outputs):
    train_student(
        inputs,
        outputs,
        run={**dict(smk.wildcards.items()), "seed": str(seed)},
        train=dict(smk.params.train),
        mcnc=dict(smk.params.mcnc),
        distill=dict(smk.params.distill),
        threads=smk.threads,
        log=log,
    )


for_each_seed(smk, work, input_lists=("teachers",))

finish()
