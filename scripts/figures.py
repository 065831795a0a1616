"""Rules figure_*: one figure as PNG + PDF under results/figures/ (the rule name picks the figure)."""

from _script_setup import setup

log = setup(snakemake)  # noqa: F821

from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from shrinkflow import aggregate, artifacts, plots  # noqa: E402

smk = snakemake  # noqa: F821
inp, png = smk.input, smk.output.png
name = smk.rule.removeprefix("figure_")

if name == "accuracy_vs_bits":
    written = plots.plot_accuracy_vs_bits(pd.read_csv(inp.summary, dtype={"level": str}), png)
elif name == "training_curves":
    written = plots.plot_training_curves(aggregate.collect_histories(inp.histories), png)
elif name == "adaptive_fractions":
    histories = aggregate.collect_histories(inp.histories)
    runs = aggregate.collect_metrics(inp.metrics)
    histories = aggregate.with_run_columns(histories, runs, ["adaptive.policy"])
    # one panel per preset: the preset name says levels and policy
    histories["preset"] = histories["level"]
    written = plots.plot_adaptive_fractions(histories, png, policy_col="preset")
elif name == "per_class_heatmap":
    runs = aggregate.collect_metrics(inp.metrics)
    names = [artifacts.read_json(p).get("class_names") for p in inp.data_sidecars]
    written = plots.plot_per_class_heatmap(runs, png, class_names=names[0] if len(names) == 1 else None)
elif name == "attribution_overlays":
    examples, used, data_paths = [], set(), {Path(p).stem: p for p in inp.data}
    for json_path, npz_path in zip(inp.json, inp.npz, strict=True):
        record = artifacts.read_json(json_path)
        data = artifacts.load_npz(data_paths[record["dataset"]])
        arrays = artifacts.load_npz(npz_path)
        methods = record.get("attribution_methods_used") or []
        method = "saliency" if "saliency" in methods else (methods[0] if methods else None)
        if method is None:
            log.warning("%s: no attribution was possible; left out of the figure", json_path)
            continue
        for example in plots.attribution_examples(arrays, data["x_test"], method=method, n=1):
            label = f"{record['method']} {record['level']}\n{method.replace('_', ' ')}, {example.label}"
            examples.append(example.__class__(**{**example.__dict__, "label": label}))
            used.add(method)
    title_method = used.pop().replace("_", " ") if len(used) == 1 else "per-row"
    written = plots.plot_attribution_overlays(examples, png, method=title_method)
elif name == "robustness":
    written = plots.plot_robustness(pd.read_csv(inp.table, dtype={"level": str}), png)
elif name == "boundary_ratios":
    written = plots.plot_boundary_ratios(aggregate.collect_analyses(inp.analyses), png)
elif name == "runtime":
    written = plots.plot_runtime(aggregate.read_benchmarks(inp.benchmarks), png)
else:
    raise ValueError(f"no figure for rule {smk.rule!r}")
log.info("wrote %s", [str(p) for p in written])
