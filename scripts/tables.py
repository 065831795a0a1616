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
    parts = []
    for dataset, part in rows.groupby("dataset", sort=False):
        part = accuracy_drops(part.drop(columns="dataset"))
        part.insert(0, "dataset", dataset)
        parts.append(part)
    write(pd.concat(parts, ignore_index=True), smk.output.robustness)
    amplification = []
    models = set(rows["model"])
    for dataset, part in rows.groupby("dataset", sort=False):
        if {smk.params.plain_model, smk.params.bn_model} <= models:
            table = batchnorm_amplification(
                part.drop(columns="dataset"), smk.params.plain_model, smk.params.bn_model
            )
            table.insert(0, "dataset", dataset)
            amplification.append(table)
    write(
        pd.concat(amplification, ignore_index=True)
        if amplification
        else pd.DataFrame(columns=["dataset", "method", "level", "drop_difference"]),
        smk.output.amplification,
    )
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
