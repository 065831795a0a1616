# shrinkflow: what compression of training data does to neural networks.
# Run the default study with `snakemake --cores all`; see README.md for targets and presets.

from snakemake.utils import min_version

min_version("8.0")


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/compress.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/analyze.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/mlp.smk"
include: "workflow/rules/l0.smk"
include: "workflow/rules/rd.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/figures.smk"


report: "workflow/report/workflow.rst"


localrules:
    all,


rule all:
    default_target: True
    input:
        all_targets(),
