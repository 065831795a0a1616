"""Rule study_report: results/reports/{study}.md from the study's claims table and headline figure."""

from _script_setup import finish, setup

log = setup(snakemake)

import pandas as pd

from shrinkflow.reports import study_report

smk = snakemake
claims = pd.read_csv(smk.input.claims, dtype={"level": str})
study_report(smk.wildcards.study, claims, smk.input.figure, smk.output[0])
log.info("%s: %d claims", smk.output[0], len(claims))

finish()
