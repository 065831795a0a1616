"""Rule analyze_robustness: a reference model (raw-data trained) on every compressed test set of its dataset.

Writes results/robustness/{dataset}/{model}/seed{seed}.csv: one row per test set (method, level) with the
accuracy, the raw test set first (method identity, level full).
"""

from _script_setup import finish, setup

log = setup(snakemake)

import pandas as pd
import torch

from shrinkflow import artifacts
from shrinkflow.analysis import robustness_rows
from shrinkflow.analysis.pairs import raw_images
from shrinkflow.compress import decode_split
from shrinkflow.runs import load_model

smk = snakemake
wc = smk.wildcards
torch.set_num_threads(smk.threads)

data = artifacts.load_npz(smk.input.data)
x_raw, labels = raw_images(data), data["y_test"].astype("int64")
num_classes = len(data["class_names"])
model = load_model(wc.model, tuple(x_raw.shape[1:]), num_classes, smk.input.reference_model)


def test_sets():
    """(method, level, decoded test pixels), one set at a time so memory stays flat."""
    yield "identity", "full", x_raw
    for npz, sidecar_json in zip(smk.input.test_sets, smk.input.test_sidecars, strict=True):
        sidecar = artifacts.read_json(sidecar_json)
        x, y = decode_split(artifacts.load_npz(npz), sidecar, "test", "pixels")
        if not (y == labels).all():
            raise ValueError(f"{npz}: test labels differ from {smk.input.data}; rebuild the artifact")
        log.info("%s %s: decoded %s", sidecar["method"], sidecar["level"], x.shape)
        yield sidecar["method"], sidecar["level"], x


rows = pd.DataFrame(robustness_rows(model, test_sets(), labels, wc.model, int(wc.seed)))
rows.insert(0, "dataset", wc.dataset)
log.info("\n%s", rows.to_string(index=False))
with artifacts.atomic_path(smk.output.csv, suffix=".csv") as tmp:
    rows.to_csv(tmp, index=False)

finish()
