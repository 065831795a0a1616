"""Time each analysis of one run on mnist5k-sized inputs with a cnn1d-sized model; prints a table.

    python benchmarks/bench_analysis.py [--threads 1] [--attr-images 64] [--points 32] [--directions 8]

The models are ``shrinkflow.models.build("cnn1d_paper", ...)`` when that registry exists, else a stand-in
1D CNN of the same size class (two Conv1d layers over the flattened image, a 128-unit penultimate layer).
Both the model and its reference are trained briefly on the real mnist5k digits so the decision boundaries
and attributions are those of working classifiers, not of random initialisations.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

from shrinkflow import codecs, datasets
from shrinkflow.analysis import (
    accuracy_on,
    attribution_analysis,
    boundary_analysis,
    feature_analysis,
    output_analysis,
    robustness_rows,
)
from shrinkflow.analysis.attributions import Composed


class StandInCNN1D(nn.Module):
    """Conv1d(1→16, 5) · pool · Conv1d(16→32, 5) · pool · Linear(→128) · Linear(→10) over the flat image."""

    def __init__(self, input_shape: tuple[int, ...], classes: int = 10):
        super().__init__()
        length = int(np.prod(input_shape))
        self.conv = nn.Sequential(
            nn.Conv1d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
        )  # fmt: skip
        self.fc = nn.Linear(32 * (length // 4), 128)
        self.head = nn.Linear(128, classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.fc(self.conv(x.flatten(1)[:, None]).flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def make_model(input_shape: tuple[int, ...], seed: int) -> nn.Module:
    torch.manual_seed(seed)
    try:
        from shrinkflow import models  # written concurrently; the stand-in keeps the benchmark runnable

        return models.build("cnn1d_paper", input_shape, 10)
    except Exception:
        return StandInCNN1D(input_shape)


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> nn.Module:
    """A few plain Adam epochs, whole tensors in memory; only to get a working classifier for timing."""
    gen = torch.Generator().manual_seed(seed)
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(xt), generator=gen).split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
    return model.eval()


def timed(label: str, fn, rows: list, note: str = "") -> object:
    start = time.perf_counter()
    result = fn()
    rows.append((label, time.perf_counter() - start, note))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--attr-images", type=int, default=64)
    parser.add_argument("--points", type=int, default=32)
    parser.add_argument("--directions", type=int, default=8)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    arrays, _ = datasets.get("mnist5k").prepare()
    x_train = arrays["x_train"].astype(np.float32) / 255
    x_test = arrays["x_test"].astype(np.float32) / 255
    y_train, y_test = arrays["y_train"], arrays["y_test"]

    # the reference on raw pixels, and a model trained on downsample-14 coefficients (a differentiable codec)
    downsample = codecs.get("downsample")
    payload = downsample.encode(arrays["x_train"], 14, {}, np.random.default_rng(0))
    transform = downsample.torch_transform({**payload.meta, "level": 14}, "coefficients")
    prep: list = []
    reference = timed(
        "train reference (for context)",
        lambda: train(make_model((28, 28, 1), 0), x_train, y_train, args.epochs, 0),
        prep,
        f"{args.epochs} epoch(s), 4,000 images",
    )
    x_train_small = downsample.decode(payload, "coefficients")
    model = train(make_model((14, 14, 1), 0), x_train_small, y_train, args.epochs, 0)
    model_fn = Composed(model, transform).eval()

    rows: list = []

    @torch.no_grad()
    def forward_all():
        raw = torch.as_tensor(x_test)
        return (
            model_fn(raw).numpy(), reference(raw).numpy(),
            model.features(transform(raw)).numpy(), reference.features(raw).numpy(),
        )  # fmt: skip

    logits, ref_logits, feats, ref_feats = timed(
        "forward: logits + features (both models)", forward_all, rows, "1,000 test images"
    )
    timed("output_analysis", lambda: output_analysis(logits, ref_logits, y_test, "zero_one"), rows, "")
    timed(
        "feature_analysis",
        lambda: feature_analysis(feats, ref_feats, k=args.k),
        rows,
        f"k={args.k}, 1,000 pts",
    )
    attr = timed(
        "attribution_analysis (transform route)",
        lambda: attribution_analysis(model, reference, x_test, view="coefficients", transform=transform,
                                     n_images=args.attr_images, seed=0),
        rows, f"{args.attr_images} images, saliency + IG(32 steps) + occlusion(4/2)",
    )  # fmt: skip
    x_decoded = downsample.decode(
        downsample.encode(arrays["x_test"], 14, {}, np.random.default_rng(0)), "pixels"
    )
    reference_on_pixels = reference  # a pixel-view model, attributed on decoded images
    timed(
        "attribution_analysis (decoded route)",
        lambda: attribution_analysis(reference_on_pixels, reference, x_test, x_decoded=x_decoded,
                                     n_images=args.attr_images, seed=0),
        rows, "same, pixel-view model on decoded images",
    )  # fmt: skip
    subset = x_test[np.random.default_rng(0).choice(len(x_test), args.points, replace=False)]
    bound = timed(
        "boundary_analysis",
        lambda: boundary_analysis(model_fn, reference, subset, n_directions=args.directions,
                                  max_radius=100.0, tol=0.01, seed=0),
        rows, f"{args.points} points x {args.directions} directions, R=100, tol=0.01",
    )  # fmt: skip
    tests = {("identity", "full"): x_test, ("downsample", "14"): x_decoded}
    timed(
        "robustness_rows", lambda: robustness_rows(reference, tests, y_test, "cnn1d", 0), rows, "2 test sets"
    )

    total = sum(r[1] for r in rows)
    width = max(len(r[0]) for r in rows + prep)
    print(f"torch threads: {torch.get_num_threads()}; model: {type(reference).__name__}")
    print(f"{'step':<{width}}  seconds  notes")
    for label, seconds, note in prep + rows:
        print(f"{label:<{width}}  {seconds:7.2f}  {note}")
    print(f"{'all analyses':<{width}}  {total:7.2f}")
    print(
        f"(reference accuracy {accuracy_on(reference, x_test, y_test):.3f}, model accuracy "
        f"{np.mean(logits.argmax(1) == y_test):.3f}; attribution similarity means "
        + ", ".join(f"{m}={attr[f'{m}_similarity_mean']:.3f}" for m in attr["attribution_methods_used"])
        + f"; boundary median ratio {bound['distance_ratio']:.3f}, censored {bound['censored_fraction']:.2f})"
    )


if __name__ == "__main__":
    main()
