"""Rules figure_*: one figure as PNG + PDF under results/figures/. ``params.figure`` names it in the figure
registry (:mod:`shrinkflow.plots.registry`); ``params.method_info`` (:func:`shrinkflow.codecs.method_info`)
gives method families and level meanings, so that the job does not need torch."""

from _script_setup import finish, setup

smk = snakemake
log = setup(smk)

from shrinkflow import plots

figure = plots.get(smk.params.figure)
written = figure.draw(dict(smk.input.items()), smk.output.png, info=smk.params.method_info)
log.info("wrote %s", [str(p) for p in written])

finish()
