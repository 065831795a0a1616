"""Training throughput: shrinkflow's trainer vs a bare loop (the floor) vs the papers' per-sample loaders.

Workload: ``cnn1d_paper`` on N × 16 × 16 × 1 DCT coefficients (256 values per sample) of mnist5k digits tiled
to N (default 60,000, full-MNIST size), batch 128, SGD; test set 10,000 tiled digits.

  (a) ``shrinkflow.training.train``: whole set as one tensor, seeded permutation, deterministic mode;
      per epoch: train seconds and eval seconds (eval batch 1024 over the test set).
  (b) bare loop: the same model/optimizer/batches written by hand over the preloaded tensor, no
      determinism switches, no bookkeeping: the floor for (a).
  (c) papers' style: a ``torch.utils.data.Dataset`` that applies the codec per sample in ``__getitem__``
      every epoch, fed by a ``DataLoader`` (batch 128, shuffle, num_workers 0):
        c-dct:  scipy ``dctn`` of the uint8 digit, top-left 16 × 16 block (same inputs as a/b);
        c-jpeg: Pillow decode of the digit's JPEG (quality 75) to 28 × 28 pixels; compared with
                (a-pixels) = the trainer on the same 784-value pixels decoded once up front.

Prints a table and a projection of a 30-epoch full-MNIST run. The machine is shared: treat numbers as ±30%.
Example: ``python benchmarks/bench_training.py --epochs 1 --threads 1``.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import time

import numpy as np
import scipy.fft
import torch
import torch.nn.functional as F
from PIL import Image

from shrinkflow import datasets, models
from shrinkflow.training import TrainConfig, input_statistics, train

K = 16


def tiled(arrays: dict, split: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uint8 digits and labels: the split repeated (row i is digit i mod size)."""
    x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
    idx = np.arange(n) % x.shape[0]
    return x[idx], y[idx]


def dct_view(images: np.ndarray) -> np.ndarray:
    """float32 N × 16 × 16 × 1 orthonormal DCT-II top-left blocks of uint8 images (whole-stack, chunked)."""
    out = np.empty((images.shape[0], K, K, images.shape[3]), np.float32)
    for i in range(0, images.shape[0], 8192):
        chunk = images[i : i + 8192].astype(np.float32) / 255
        out[i : i + 8192] = scipy.fft.dctn(chunk, axes=(1, 2), norm="ortho")[:, :K, :K]
    return out


class PerSampleDct(torch.utils.data.Dataset):
    """The papers' loader: DCT of one uint8 image per ``__getitem__``."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, i):
        img = self.images[i].astype(np.float32) / 255
        coeffs = scipy.fft.dctn(img, axes=(0, 1), norm="ortho")[:K, :K]
        return torch.from_numpy(np.ascontiguousarray(coeffs)), int(self.labels[i])


class PerSampleJpeg(torch.utils.data.Dataset):
    """The papers' loader: Pillow decode of one stored JPEG per ``__getitem__``."""

    def __init__(self, blobs: list[bytes], index: np.ndarray, labels: np.ndarray) -> None:
        self.blobs, self.index, self.labels = blobs, index, labels

    def __len__(self) -> int:
        return self.index.shape[0]

    def __getitem__(self, i):
        with Image.open(io.BytesIO(self.blobs[self.index[i]])) as im:
            pixels = np.asarray(im, dtype=np.float32)[:, :, None] / 255
        return torch.from_numpy(pixels), int(self.labels[i])


def jpeg_blobs(images: np.ndarray, quality: int = 75) -> list[bytes]:
    blobs = []
    for img in images:
        buf = io.BytesIO()
        Image.fromarray(img[:, :, 0]).save(buf, format="JPEG", quality=quality)
        blobs.append(buf.getvalue())
    return blobs


def fresh_model(x: torch.Tensor, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = models.build("cnn1d_paper", tuple(x.shape[1:]), 10)
    model.standardize.set_statistics(*input_statistics(x))
    return model


def bare_epochs(
    x: torch.Tensor, y: torch.Tensor, epochs: int, batch_size: int, lr: float, seed: int
) -> list[float]:
    """(b) the hand-written floor: seconds per epoch."""
    model = fresh_model(x, seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(x.shape[0], generator=gen)
        for i in range(0, x.shape[0], batch_size):
            idx = perm[i : i + batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    return times


def loader_epochs(
    dataset, x_stats: torch.Tensor, epochs: int, batch_size: int, lr: float, seed: int
) -> list[float]:
    """(c) DataLoader over a per-sample-decoding Dataset: seconds per epoch (decode + train)."""
    model = fresh_model(x_stats, seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        num_workers=0,
        generator=torch.Generator().manual_seed(seed),
    )
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=1, help="epochs per variant (default 1)")
    ap.add_argument("--n-train", type=int, default=60_000, help="training samples (default 60,000)")
    ap.add_argument("--n-test", type=int, default=10_000, help="test samples (default 10,000)")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["trainer", "bare", "dct", "jpeg", "pixels"])
    ap.add_argument("--json", help="also write the measurements to this JSON file")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    lr, seed = 0.01, 0

    arrays, _ = datasets.get("mnist5k").prepare()
    img_train, y_train = tiled(arrays, "train", args.n_train)
    img_test, y_test = tiled(arrays, "test", args.n_test)
    t0 = time.perf_counter()
    x_train, x_test = dct_view(img_train), dct_view(img_test)
    dct_seconds = time.perf_counter() - t0
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train).long()
    rows: dict[str, dict] = {}
    cfg = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, lr=lr, device="cpu", threads=args.threads
    )

    if "trainer" not in args.skip:
        r = train("cnn1d_paper", x_train, y_train, x_test, y_test, 10, cfg, seed=seed)
        rows["a trainer (dct 16×16)"] = {
            "epoch_seconds": float(r.history["epoch_seconds"].mean()),
            "eval_seconds": float(r.history["eval_seconds"].mean()),
        }
    if "bare" not in args.skip:
        rows["b bare loop (dct 16×16)"] = {
            "epoch_seconds": float(np.mean(bare_epochs(xt, yt, args.epochs, args.batch_size, lr, seed)))
        }
    if "dct" not in args.skip:
        ds = PerSampleDct(img_train, y_train)
        rows["c per-sample scipy DCT loader"] = {
            "epoch_seconds": float(np.mean(loader_epochs(ds, xt, args.epochs, args.batch_size, lr, seed)))
        }
    if "pixels" not in args.skip or "jpeg" not in args.skip:
        unique = arrays["x_train"]
        t0 = time.perf_counter()
        blobs = jpeg_blobs(unique)
        jpeg_encode_seconds = time.perf_counter() - t0
        index = np.arange(args.n_train) % unique.shape[0]
        # decode every stored JPEG once (what shrinkflow's decode stage does), then tile
        decoded = np.stack([np.asarray(Image.open(io.BytesIO(b)), np.float32) / 255 for b in blobs])[
            :, :, :, None
        ]
        px_train = decoded[index]
        px_test = (
            arrays["x_test"][np.arange(args.n_test) % arrays["x_test"].shape[0]].astype(np.float32) / 255
        )
    if "pixels" not in args.skip:
        r = train("cnn1d_paper", px_train, y_train, px_test, y_test, 10, cfg, seed=seed)
        rows["a trainer (jpeg pixels 28×28, decoded once)"] = {
            "epoch_seconds": float(r.history["epoch_seconds"].mean()),
            "eval_seconds": float(r.history["eval_seconds"].mean()),
        }
    if "jpeg" not in args.skip:
        ds = PerSampleJpeg(blobs, index, y_train)
        rows["c per-sample Pillow JPEG loader (28×28)"] = {
            "epoch_seconds": float(
                np.mean(loader_epochs(ds, torch.from_numpy(px_train), args.epochs, args.batch_size, lr, seed))
            )
        }

    print(
        f"\ncnn1d_paper, {args.n_train} train / {args.n_test} test, batch {args.batch_size}, "
        f"{args.epochs} epoch(s) each, {args.threads} thread(s), torch {torch.__version__}, "
        f"{platform.processor() or platform.machine()} (shared machine: ±30%)"
    )
    print(f"whole-stack DCT of train+test up front: {dct_seconds:.2f} s")
    print("\n| variant | train s/epoch | eval s/epoch | samples/s |\n|---|---:|---:|---:|")
    for name, row in rows.items():
        ev = f"{row['eval_seconds']:.2f}" if "eval_seconds" in row else ""
        print(f"| {name} | {row['epoch_seconds']:.2f} | {ev} | {args.n_train / row['epoch_seconds']:,.0f} |")

    def sec(name: str) -> float | None:
        return rows[name]["epoch_seconds"] if name in rows else None

    def compare(label: str, slow: str, fast: str, target: str) -> None:
        if sec(slow) and sec(fast):
            print(f"{label}: {sec(slow) / sec(fast):.2f}× ({target})")

    a_dct, a_px = "a trainer (dct 16×16)", "a trainer (jpeg pixels 28×28, decoded once)"
    print()
    compare("(a) trainer / (b) bare floor", a_dct, "b bare loop (dct 16×16)", "target ≤ 1.10")
    compare("(c) per-sample DCT loader / (a) trainer", "c per-sample scipy DCT loader", a_dct, "target ≥ 2")
    compare("(c) per-sample JPEG loader / (a) trainer on decoded pixels",
            "c per-sample Pillow JPEG loader (28×28)", a_px, "target ≥ 2")  # fmt: skip
    for name, what in ((a_dct, "dct 16×16"), (a_px, "28×28 pixels")):
        if name in rows:
            row = rows[name]
            epoch = row["epoch_seconds"] * 60_000 / args.n_train + row["eval_seconds"] * 10_000 / args.n_test
            print(f"projection, 30 epochs of full MNIST (60k train + 10k eval), {what}: {epoch / 2:.1f} min")
    if "jpeg" not in args.skip or "pixels" not in args.skip:
        print(f"(one-off JPEG encode of {len(blobs)} digits: {jpeg_encode_seconds:.2f} s)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), "rows": rows, "torch_version": torch.__version__}, fh, indent=2)


if __name__ == "__main__":
    main()
