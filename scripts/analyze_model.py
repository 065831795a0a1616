"""Rule analyze_model: every enabled analysis of one compressed model vs the reference (JSON + npz each)."""

from _script_setup import setup

log = setup(snakemake)

import numpy as np
import torch

from shrinkflow import artifacts
from shrinkflow.analysis.runner import run_analyses

smk = snakemake
torch.set_num_threads(smk.threads)
results = run_analyses(
    list(smk.params.analyses),
    dict(smk.input.items()),
    run=dict(smk.wildcards.items()),
    view=smk.params.view,
    settings={k: dict(v) for k, v in smk.params.settings.items()},
    log=log,
)
for name, json_path, npz_path in zip(smk.params.analyses, smk.output.json, smk.output.npz, strict=True):
    summary, arrays = results[name]
    artifacts.save_npz(npz_path, arrays or {"empty": np.zeros(0)})
    artifacts.write_json(json_path, summary)
