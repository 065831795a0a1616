# Tables: one rule per registered table (shrinkflow.tables.TABLES) with exactly the inputs it reads, so
# `snakemake results/tables/<name>.csv` builds only what that table depends on. Light env: no torch.


for name, entry in tables.TABLES.items():

    rule:
        name:
            f"table_{name}"
        input:
            **entry_inputs(entry),
        output:
            report(
                layout.pattern("tables", table=entry.file_stem),
                caption=f"../report/table_{name}.rst",
                category="Tables",
            ),
        log:
            layout.log("tables", "tables", table=entry.file_stem),
        conda:
            "../../envs/plots.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            table=name,
            settings=entry_params(entry),
        script:
            "../../scripts/tables.py"


# One Markdown page per reproduced study: its claims with verdicts and the headline figure.
rule study_report:
    input:
        claims=layout.pattern("tables", table="claims_{study}"),
        figure=layout.path("figures", figure="accuracy_vs_bits", ext="png"),
    output:
        layout.pattern("reports"),
    log:
        layout.log("reports", "reports"),
    conda:
        "../../envs/plots.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../../scripts/study_report.py"
