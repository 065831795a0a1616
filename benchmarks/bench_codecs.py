"""Codec throughput on N 28×28 digits, and shrinkflow's time against the bare library doing the same work.

For every codec: encode + decode to pixels, in images/s. Where a plain library call does the same job
(a per-image Pillow loop for JPEG/PNG, a per-image zfpy loop for zfp, scipy.fft over the stack for the DCT,
torch interpolate for the resize) the same run times it too and prints ``ratio`` = shrinkflow / bare
(target ≤ 1.1; < 1 where worker processes pay off). The mnist5k digits are tiled to reach N.

    python benchmarks/bench_codecs.py                 # 60,000 images, 2 worker processes
    python benchmarks/bench_codecs.py --n 5000 --methods jpeg zfp_precision
"""

from __future__ import annotations

import argparse
import io
import resource
import time
from collections.abc import Callable

import numpy as np
import scipy.fft
import torch
import torch.nn.functional as F
import zfpy
from PIL import Image

from shrinkflow import codecs, datasets

LEVELS = {
    "identity": "full",
    "dct": "14",
    "random_projection": "128",
    "downsample": "14",
    "binary_then_resize": "14",
    "resize_then_binary": "16",
    "jpeg": "50",
    "png": "full",
    "zfp_rate": "4",
    "zfp_precision": "8",
    "zfp_accuracy": "2",
    "zfp_reversible": "full",
}


def bare_pillow(fmt: str, **kwargs) -> Callable[[np.ndarray], None]:
    def run(images: np.ndarray) -> None:
        files = []
        for image in images[..., 0]:
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, fmt, **kwargs)
            files.append(buffer.getvalue())
        for data in files:
            np.asarray(Image.open(io.BytesIO(data)))

    return run


def bare_zfp(**mode) -> Callable[[np.ndarray], None]:
    def run(images: np.ndarray) -> None:
        pixels = images[..., 0].astype(np.float32)
        streams = [zfpy.compress_numpy(image, **mode) for image in pixels]
        for data in streams:
            zfpy.decompress_numpy(data)

    return run


def bare_dct(k: int) -> Callable[[np.ndarray], None]:
    def run(images: np.ndarray) -> None:
        block = scipy.fft.dctn(images.astype(np.float32) / 255, axes=(1, 2), norm="ortho")[:, :k, :k]
        padded = np.zeros(images.shape, np.float32)
        padded[:, :k, :k] = block
        scipy.fft.idctn(padded, axes=(1, 2), norm="ortho")

    return run


def bare_resize(side: int) -> Callable[[np.ndarray], None]:
    def run(images: np.ndarray) -> None:
        x = torch.from_numpy(images.astype(np.float32)).permute(0, 3, 1, 2)
        small = F.interpolate(x, size=(side, side), mode="bilinear", antialias=True).round()
        F.interpolate(small / 255, size=images.shape[1:3], mode="bilinear")

    return run


BARE = {
    "dct": bare_dct(14),
    "downsample": bare_resize(14),
    "jpeg": bare_pillow("JPEG", quality=50),
    "png": bare_pillow("PNG"),
    "zfp_rate": bare_zfp(rate=4.0),
    "zfp_precision": bare_zfp(precision=8),
    "zfp_accuracy": bare_zfp(tolerance=2.0),
    "zfp_reversible": bare_zfp(),
}


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=60000, help="number of 28×28 images (mnist5k tiled)")
    parser.add_argument("--threads", type=int, default=2, help="worker processes for per-image codecs")
    parser.add_argument("--methods", nargs="*", default=list(LEVELS), choices=list(LEVELS))
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing; the best is reported")
    args = parser.parse_args()

    arrays, _ = datasets.get("mnist5k").prepare()
    digits = np.concatenate([arrays["x_train"], arrays["x_test"]])
    images = np.ascontiguousarray(np.resize(digits, (args.n, *digits.shape[1:])))
    print(
        f"{args.n} images 28×28×1, threads={args.threads}, torch threads={torch.get_num_threads()}, "
        f"best of {args.repeat}"
    )
    header = (
        f"{'method':20s} {'level':>5s} {'B/img':>8s} {'enc s':>7s} {'dec s':>7s} {'img/s':>9s} "
        f"{'bare s':>7s} {'ratio':>6s}"
    )
    print(header)
    print("-" * len(header))
    for name in args.methods:
        codec = codecs.get(name)
        level = codec.parse_level(LEVELS[name], images.shape[1:])
        params = codec.params({})
        rng = np.random.default_rng(0)
        # Ours and the bare loop alternate within each repeat, so that a burst of load from other users
        # of the machine hits both sides alike; each side keeps its best run.
        encode_s = decode_s = bare_s = float("inf")
        for _ in range(args.repeat):
            seconds, payload = timed(lambda: codec.encode(images, level, params, rng, threads=args.threads))  # noqa: B023
            encode_s = min(encode_s, seconds)
            payload.meta = {**payload.meta, "level": level, "n_samples": args.n}
            decode_s = min(decode_s, timed(lambda: codec.decode(payload, "pixels", threads=args.threads))[0])  # noqa: B023
            if name in BARE:
                bare_s = min(bare_s, timed(lambda: BARE[name](images))[0])  # noqa: B023
        bare_s = bare_s if name in BARE else float("nan")
        total = encode_s + decode_s
        print(
            f"{name:20s} {LEVELS[name]:>5s} {payload.stored_bytes / args.n:8.1f} {encode_s:7.2f} "
            f"{decode_s:7.2f} {args.n / total:9.0f} {bare_s:7.2f} {total / bare_s:6.2f}"
        )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: main process {peak_mib:.0f} MiB, largest worker {children_mib:.0f} MiB")


if __name__ == "__main__":
    main()
