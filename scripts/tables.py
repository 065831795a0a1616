"""Rules table_{name}: one tidy CSV under results/tables/ from the registered builder."""

from _script_setup import finish, setup

log = setup(snakemake)

from shrinkflow import tables
from shrinkflow.tables.build import write_csv

smk = snakemake
params = {**smk.params.settings, **dict(smk.wildcards.items())}
write_csv(tables.get(smk.params.table).build(dict(smk.input.items()), params), smk.output[0])

finish()
