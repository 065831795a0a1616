"""Rule analyze_student: every enabled analysis of an MCNC run or student against its teacher, for each seed
of the job."""

from _script_setup import finish, for_each_seed, setup

log = setup(snakemake)

import pandas as pd
import torch

from shrinkflow.analysis.runner import run_analyses, write_results
from shrinkflow.student_stage import choose_teacher, teacher_path

smk = snakemake
torch.set_num_threads(smk.threads)
teacher = choose_teacher(pd.read_csv(smk.input.capacity))


def work(seed, inp, outputs):
    inputs = {k: inp[k] for k in ("data", "npz", "sidecar", "model")}
    inputs["reference_model"] = teacher_path(list(inp["teachers"]), teacher, seed)
    results = run_analyses(
        list(smk.params.analyses), inputs, run={**dict(smk.wildcards.items()), "seed": str(seed)},
        view="pixels", settings={k: dict(v) for k, v in smk.params.settings.items()}, log=log,
        reference_name=teacher,
    )  # fmt: skip
    write_results(results, outputs["json"], outputs["npz"], extra={"teacher": teacher})


for_each_seed(smk, work, output_lists=("json", "npz"), input_lists=("teachers",))

finish()
