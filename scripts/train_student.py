"""Rules train_mcnc / train_student: an MCNC run or a distillation student -> results/students/<run>/{rate}/
{training}/{model.pt, metrics.json, history.csv} (+ model.bin, the MCNC payload)."""

from _script_setup import setup

log = setup(snakemake)

from shrinkflow.student_stage import train_student

smk = snakemake
train_student(
    {k: v for k, v in smk.input.items()},
    dict(smk.output.items()),
    run=dict(smk.wildcards.items()),
    train=dict(smk.params.train),
    mcnc=dict(smk.params.mcnc),
    distill=dict(smk.params.distill),
    threads=smk.threads,
    log=log,
)
