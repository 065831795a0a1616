"""Rules table_*: tidy CSV tables under results/tables/ (the rule name picks the table)."""

from _script_setup import setup

log = setup(snakemake)  # noqa: F821

import pandas as pd  # noqa: E402

from shrinkflow import aggregate, artifacts  # noqa: E402
from shrinkflow.analysis import accuracy_drops, batchnorm_amplification, storage_at_epsilon  # noqa: E402

smk = snakemake  # noqa: F821
inp = smk.input


def write(table: pd.DataFrame, path: str) -> None:
    with artifacts.atomic_path(path, suffix=".csv") as tmp:
        table.to_csv(tmp, index=False)
    log.info("%s: %d rows x %d columns", path, *table.shape)


if smk.rule == "table_runs":
    write(aggregate.collect_runs(inp.metrics, inp.compressed, inp.analyses), smk.output[0])
elif smk.rule == "table_summary":
    write(aggregate.summary(pd.read_csv(inp.runs, dtype={"level": str})), smk.output[0])
elif smk.rule == "table_storage_at_epsilon":
    runs = aggregate.collect_runs(inp.metrics, inp.compressed).rename(columns={"test_accuracy": "accuracy"})
    write(storage_at_epsilon(runs, smk.params.epsilons), smk.output[0])
elif smk.rule == "table_robustness":
    rows = pd.concat([pd.read_csv(p, dtype={"level": str}) for p in inp.rows], ignore_index=True)
    pair = {smk.params.plain_model, smk.params.bn_model}
    drops = []
    amplification = [pd.DataFrame(columns=["dataset", "method", "level", "drop_difference"])]
    for dataset, part in rows.groupby("dataset", sort=False):
        part = part.drop(columns="dataset")
        drops.append(accuracy_drops(part))
        drops[-1].insert(0, "dataset", dataset)
        if pair <= set(part["model"]):  # both models of the BatchNorm comparison ran on this dataset
            amplification.append(batchnorm_amplification(part, smk.params.plain_model, smk.params.bn_model))
            amplification[-1].insert(0, "dataset", dataset)
    write(pd.concat(drops, ignore_index=True), smk.output.robustness)
    write(pd.concat(amplification, ignore_index=True), smk.output.amplification)
elif smk.rule == "table_reproduction":
    study = smk.wildcards.study
    summary = pd.read_csv(inp.summary, dtype={"level": str})
    methods = aggregate.STUDY_METHODS.get(study)
    if methods is not None:
        summary = summary[summary["method"].isin(methods)]
    table = aggregate.reproduction_table(
        summary,
        aggregate.load_published(),
        study,
        tolerance=smk.params.tolerance,
        include_unmatched=["test_accuracy"],
    )
    write(table, smk.output[0])
else:
    raise ValueError(f"no table for rule {smk.rule!r}")
