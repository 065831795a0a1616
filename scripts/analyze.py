"""Rules analyze_{analysis}: a run vs its reference -> results/analysis/.../{analysis}.json (+ .npz)."""

from _script_setup import setup

log = setup(snakemake)

import numpy as np
import torch

from shrinkflow import artifacts
from shrinkflow.analysis.runner import run_analysis

smk = snakemake
torch.set_num_threads(smk.threads)
summary, arrays = run_analysis(
    smk.params.analysis,
    dict(smk.input.items()),
    run=dict(smk.wildcards.items()),
    view=smk.params.view,
    settings=dict(smk.params.settings),
    log=log,
)
artifacts.save_npz(smk.output.npz, arrays or {"empty": np.zeros(0)})
artifacts.write_json(smk.output.json, summary)
