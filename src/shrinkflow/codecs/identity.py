"""``identity``: raw uint8 pixels, the reference every method is measured against."""

from __future__ import annotations

import numpy as np

from .base import Codec, Payload, check_view


class Identity(Codec):
    name = "identity"
    has_level = False
    level_meaning = "none (lossless reference)"
    family = "lossless"

    def encode(self, images, level, params, rng, threads=1) -> Payload:
        storage = {"pixels": "raw uint8 N×H×W×C, no header"}
        return Payload({"pixels": np.ascontiguousarray(images, dtype=np.uint8)}, {"storage": storage})

    def decode(self, payload: Payload, view: str, threads: int = 1) -> np.ndarray:
        check_view(self, view)
        # The raw pixels are both the image grid and the "compressed domain".
        return np.divide(payload.arrays["pixels"], np.float32(255.0), dtype=np.float32)

    def torch_transform(self, payload_meta, view):
        return lambda x: x
