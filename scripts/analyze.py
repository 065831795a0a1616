"""Rules analyze_{output,features,attributions,boundaries}: a run vs its reference -> {analysis}.json/.npz.

The rule name picks the analysis; the JSON holds the summary values (and the run's identity), the .npz the
per-image arrays (predictions, similarities, distances) for later figures.
"""

import time

from _script_setup import setup

log = setup(snakemake)  # noqa: F821

import numpy as np  # noqa: E402
import torch  # noqa: E402

from shrinkflow import artifacts  # noqa: E402
from shrinkflow.analysis import (  # noqa: E402
    attribution_analysis,
    boundary_analysis,
    class_distance_matrix,
    feature_analysis,
    output_analysis,
    split_arrays,
)
from shrinkflow.analysis.attributions import select_images  # noqa: E402
from shrinkflow.analysis.pairs import Clipped, embeddings, load_pair, numpy_forward, raw_forward  # noqa: E402
from shrinkflow.training import predict  # noqa: E402

smk = snakemake  # noqa: F821
wc, inp, settings = smk.wildcards, smk.input, dict(smk.params.settings)
analysis = smk.rule.removeprefix("analyze_")
torch.set_num_threads(smk.threads)

t0 = time.perf_counter()
pair = load_pair(inp.data, inp.npz, inp.sidecar, inp.model, inp.reference_model, wc.model, smk.params.view)
log.info(
    "%s: %s %s %s seed %s (view %s), %d test images",
    analysis,
    wc.method,
    wc.level,
    wc.model,
    wc.seed,
    pair.view,
    pair.labels.size,
)

if analysis == "output":
    kind = settings["distance"]
    distance = class_distance_matrix(
        kind, pair.num_classes, within=settings["two_level_within"], across=settings["two_level_across"]
    )
    result = output_analysis(
        predict(pair.model, pair.x_view), predict(pair.reference, pair.x_raw), pair.labels, distance=distance
    )
    result["distance"] = kind
elif analysis == "features":
    result = feature_analysis(
        embeddings(pair.model, pair.x_view), embeddings(pair.reference, pair.x_raw), k=settings["k"]
    )
elif analysis == "attributions":
    forward, differentiable = raw_forward(pair)
    result = attribution_analysis(
        pair.model,
        pair.reference,
        pair.x_raw,
        view=pair.view,
        transform=forward.transform if differentiable else None,
        x_decoded=pair.x_view if pair.view == "pixels" else None,
        numpy_forward=None if differentiable else numpy_forward(forward),
        n_images=settings["n_images"],
        seed=settings["seed"],
        methods=settings["methods"],
        ig_steps=settings["ig_steps"],
        occlusion_window=settings["occlusion_window"],
        occlusion_stride=settings["occlusion_stride"],
        normalize=settings["normalize"],
        n_maps=settings["n_maps"],
    )
elif analysis == "boundaries":
    forward, _ = raw_forward(pair)
    forward, reference = Clipped(forward), Clipped(pair.reference)  # both decide on valid images only
    points = select_images(pair.x_raw.shape[0], settings["n_points"], settings["seed"])
    result = boundary_analysis(
        forward,
        reference,
        pair.x_raw[points],
        n_directions=settings["n_directions"],
        max_radius=settings["max_radius"],
        tol=settings["tol"],
        seed=settings["seed"],
    )
    result["point_indices"] = points.tolist()
    result["input_domain"] = "raw images clipped to [0, 1] for both models"
else:
    raise ValueError(f"no analysis named {analysis!r}")

summary, arrays = split_arrays(result)
summary.update(
    dataset=wc.dataset,
    method=wc.method,
    level=wc.level,
    model=wc.model,
    seed=int(wc.seed),
    view=pair.view,
    analysis=analysis,
    seconds=time.perf_counter() - t0,
)
log.info("%s done in %.1f s", analysis, summary["seconds"])
artifacts.save_npz(smk.output.npz, arrays or {"empty": np.zeros(0)})
artifacts.write_json(smk.output.json, summary)
