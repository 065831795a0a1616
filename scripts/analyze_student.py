"""Rule analyze_student: every enabled analysis of an MCNC run or student against its teacher."""

from _script_setup import setup

log = setup(snakemake)

import pandas as pd
import torch

from shrinkflow.analysis.runner import run_analyses, write_results
from shrinkflow.student_stage import choose_teacher, teacher_path

smk = snakemake
torch.set_num_threads(smk.threads)
teacher = choose_teacher(pd.read_csv(smk.input.capacity))
inputs = {k: smk.input[k] for k in ("data", "npz", "sidecar", "model")}
inputs["reference_model"] = teacher_path(list(smk.input.teachers), teacher, int(smk.wildcards.seed))
results = run_analyses(
    list(smk.params.analyses), inputs, run=dict(smk.wildcards.items()), view="pixels",
    settings={k: dict(v) for k, v in smk.params.settings.items()}, log=log, reference_name=teacher,
)  # fmt: skip
write_results(results, smk.output.json, smk.output.npz, extra={"teacher": teacher})
