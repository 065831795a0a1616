"""Rule analyze_reference: what every enabled analysis computes on a reference alone (identity run of a
dataset, model and seed) -> results/analysis/{dataset}/identity/full/{model}/seed{seed}/reference.npz, read by
the analyze_run and analyze_model jobs of that reference (shrinkflow.analysis.reference)."""

from _script_setup import finish, for_each_seed, setup

log = setup(snakemake)

import time

import torch

from shrinkflow import artifacts
from shrinkflow.analysis import reference
from shrinkflow.analysis.pairs import raw_images
from shrinkflow.runs import load_model

smk = snakemake
torch.set_num_threads(smk.threads)
x_raw = raw_images(artifacts.load_npz(smk.input.data))
num_classes = int(artifacts.read_json(smk.input.data_sidecar)["num_classes"])
settings = {k: dict(v) for k, v in smk.params.settings.items()}


def work(seed, inputs, outputs):
    t0 = time.perf_counter()
    model = load_model(smk.wildcards.model, tuple(x_raw.shape[1:]), num_classes, inputs["model"])
    arrays = reference.compute(model, x_raw, list(smk.params.analyses), settings)
    reference.save(outputs["npz"], arrays, settings, artifacts.sha256_file(inputs["model"]), x_raw)
    log.info("seed %s: %d arrays in %.1f s", seed, len(arrays), time.perf_counter() - t0)


for_each_seed(smk, work)

finish()
