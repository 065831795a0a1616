# Figures: one rule per registered figure (shrinkflow.plots.FIGURES), PNG for viewing and PDF for papers;
# captions in workflow/report/{name}.rst. Light env: no torch.


for name, entry in plots.FIGURES.items():

    rule:
        name:
            f"figure_{name}"
        input:
            **entry_inputs(entry),
        output:
            **figure_outputs(name),
        log:
            layout.log("figures", "figures", figure=name),
        conda:
            "../../envs/plots.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            figure=name,
            method_info=codecs.method_info(),
        script:
            "../../scripts/figures.py"
