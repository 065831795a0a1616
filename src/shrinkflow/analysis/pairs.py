"""A trained run and its reference, loaded for the per-run analyses, with models that read raw images.

The analyses compare a model trained on compressed data with its reference (identity data, same model and
seed) on the same test images. The reference reads raw pixels; the compressed-data model reads its own view
(pixels decoded from the codec, or the codec's coefficients). :func:`raw_forward` gives the second model a
front end that starts from raw images too, so that attributions and boundary distances live on one grid:

* differentiable codecs (``dct``, ``random_projection``, ``downsample``, ``identity``) use the codec's
  ``torch_transform`` (gradients flow back to raw pixels);
* the others (JPEG, zfp, PNG, thresholding) re-encode and decode the raw images with the very codec, level
  and parameters of the artifact (numpy, no gradients): exact, and usable by gradient-free methods.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from .. import artifacts, codecs
from ..compress import decode_split, encode_split
from ..models.base import ViewClassifier
from ..runs import load_model
from ._common import Composed, eval_mode

if TYPE_CHECKING:
    from .reference import ReferenceCache


@dataclass
class RunPair:
    """One run and its reference, ready for analysis (both models on CPU in eval mode).

    ``x_raw``: raw test images as float32 N×H×W×C in [0, 1] (the reference's input); ``x_view``: the same
    test images as the run's model saw them (decoded from the artifact in the run's view); ``labels``: int64.
    ``reference_cache``: the reference's half of the analyses, computed once per reference
    (:mod:`~shrinkflow.analysis.reference`); without it each analysis computes it.
    """

    model: nn.Module
    reference: nn.Module
    x_raw: np.ndarray
    x_view: np.ndarray
    labels: np.ndarray
    view: str
    sidecar: dict[str, Any]
    reference_cache: ReferenceCache | None = None
    _model_outputs: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def model_outputs(self) -> tuple[np.ndarray, np.ndarray]:
        """The run's logits and embeddings on its test view (one pass, kept for the next analysis)."""
        if self._model_outputs is None:
            self._model_outputs = logits_and_embeddings(self.model, self.x_view)
        return self._model_outputs

    def reference_part(self, name: str, settings: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """What analysis ``name`` computes on the reference alone: stored, or computed now."""
        if self.reference_cache is not None:
            return self.reference_cache.part(name, settings)
        from .reference import reference_part

        return reference_part(name, self.reference, self.x_raw, settings)

    @property
    def codec(self) -> codecs.Codec:
        return codecs.get(self.sidecar["method"])

    @property
    def num_classes(self) -> int:
        return int(self.sidecar["num_classes"])


def raw_images(data: Mapping[str, np.ndarray], split: str = "test") -> np.ndarray:
    """A prepared dataset's split as float32 in [0, 1], on the same scale as the codecs' pixel decoders."""
    return np.asarray(data[f"x_{split}"], dtype=np.float32) / np.float32(255)


def load_pair(
    data_npz: str | os.PathLike,
    artifact_npz: str | os.PathLike,
    sidecar_json: str | os.PathLike,
    model_pt: str | os.PathLike,
    reference_pt: str | os.PathLike,
    model_name: str,
    view: str,
    model: nn.Module | None = None,
    reference_name: str | None = None,
    reference: nn.Module | None = None,
    reference_cache: str | os.PathLike | None = None,
) -> RunPair:
    """Load a run's test data (raw and in its view) and both models (``model``: an already loaded module in
    place of ``model_pt``, e.g. a compressed model rebuilt from its payload; ``reference_name``: the
    reference's architecture when it differs, e.g. a distillation student's teacher; ``reference``: an
    already loaded reference in place of ``reference_pt``, e.g. an ℓ0 run's dense twin rebuilt from its
    payload; ``reference_cache``: the reference's stored analysis half, a file of ``reference_pt``).

    Raises ``ValueError`` when the artifact's test labels are not the prepared dataset's (the artifact was
    built from other data than the reference's), or when ``reference_cache`` was computed from another model,
    other test images or other settings.
    """
    data = artifacts.load_npz(data_npz)
    sidecar = artifacts.read_json(sidecar_json)
    x_view, labels = decode_split(artifacts.load_npz(artifact_npz), sidecar, "test", view)
    if not np.array_equal(labels, np.asarray(data["y_test"], dtype=np.int64)):
        raise ValueError(f"{artifact_npz}: test labels differ from {data_npz}; rebuild the artifact")
    x_raw = raw_images(data)
    num_classes = int(sidecar["num_classes"])
    if model is None:
        model = load_model(model_name, tuple(x_view.shape[1:]), num_classes, model_pt)
    if reference is None:
        shape = tuple(x_raw.shape[1:])
        reference = load_model(reference_name or model_name, shape, num_classes, reference_pt)
    cache = None
    if reference_cache is not None:
        from .reference import ReferenceCache

        cache = ReferenceCache(reference_cache, artifacts.sha256_file(reference_pt), x_raw)
    return RunPair(model, reference, x_raw, x_view, labels, view, sidecar, cache)


class CodecRoundTrip(nn.Module):
    """``model(decode(encode(x)))`` for a non-differentiable codec: raw [0, 1] images → logits (no gradients).

    Raw values are rounded to uint8 as the prepared data are, then encoded with the artifact's level,
    parameters and seed, decoded to the model's view, and fed to the model.
    """

    def __init__(self, model: nn.Module, sidecar: Mapping[str, Any], view: str):
        super().__init__()
        self.model = model
        self.codec = codecs.get(sidecar["method"])
        self.level = sidecar["level_value"]
        self.params = dict(sidecar["params"])
        self.seed = int(sidecar.get("seed", 0))
        self.view = view

    def numpy_images(self, x: np.ndarray) -> np.ndarray:
        """The decoded view of raw float images (numpy in, numpy out)."""
        images = np.clip(np.rint(np.asarray(x, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)
        payload = encode_split(self.codec, images, self.level, self.params, self.seed, "test")
        return self.codec.decode(payload, self.view, threads=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        decoded = torch.from_numpy(self.numpy_images(x.detach().cpu().numpy()))
        return self.model(decoded.to(x.device))


class Clipped(nn.Module):
    """``module(clamp(x, 0, 1))``: keeps a search in raw-image space on valid images.

    The boundary search walks far from the test points (L2 radii of 10-100 on [0, 1] pixels). A codec round
    trip can only encode valid images and clips; clipping every model's input the same way (the reference's
    too) makes the distances compare the models' decisions on valid images, not the clipping.
    """

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x.clamp(0.0, 1.0))


def raw_forward(pair: RunPair) -> tuple[nn.Module, bool]:
    """The run's model as a module on raw images, and whether gradients flow through it to the pixels."""
    transform = pair.codec.torch_transform(pair.sidecar["splits"]["test"]["payload_meta"], pair.view)
    if transform is not None:
        return Composed(pair.model, transform), True
    return CodecRoundTrip(pair.model, pair.sidecar, pair.view), False


def numpy_forward(module: nn.Module) -> Callable[[np.ndarray], np.ndarray]:
    """A raw-images → logits numpy callable around a torch module (for gradient-free Occlusion)."""

    def forward(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return module(torch.as_tensor(np.asarray(x, dtype=np.float32))).numpy()

    return forward


@torch.inference_mode()
def logits_and_embeddings(
    model: nn.Module, x: np.ndarray, batch_size: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """Logits and penultimate features of a registry model in one pass over ``x`` (for a model whose
    ``forward`` is ``head(features(x))``; any other in two): the values :func:`shrinkflow.runs.predict` and
    :func:`embeddings` give, bit for bit (same batches, same operations)."""
    if type(model).forward is not ViewClassifier.forward:
        from ..runs import predict

        return predict(model, x, batch_size), embeddings(model, x, batch_size)
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    logits, features = [], []
    with eval_mode(model):
        for i in range(0, xt.shape[0], batch_size):
            f = model.features(xt[i : i + batch_size])
            features.append(f)
            logits.append(model.head(f).float())
    if not logits:
        raise ValueError("cannot evaluate a model on an empty input (0 rows)")
    return torch.cat(logits).numpy(), torch.cat(features).numpy()


@torch.inference_mode()
def embeddings(model: nn.Module, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Penultimate-layer features (N × D float32) of a registry model, ``batch_size`` rows at a time."""
    model.eval()
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    return torch.cat(
        [model.features(xt[i : i + batch_size]) for i in range(0, xt.shape[0], batch_size)]
    ).numpy()
