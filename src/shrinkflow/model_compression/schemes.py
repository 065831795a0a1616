"""The compression steps on whole tensors and ``compress(model, model_name, scheme, amount)``.

* Magnitude pruning (Condensa ``Prune``; ShrinkBench's global and layer-wise magnitude strategies): the
  ⌊s·N⌋ weights of smallest |w| are removed, over all compressed layers together (global) or per layer;
  ties go to the earlier position (stable sort), so masks are exact and deterministic.
* Symmetric integer quantization per output channel: scale = max|w| / (2^(b−1) − 1), q = round(w / scale)
  (half to even), w ← q·scale.
* fp16 (Condensa ``Quantize``): values rounded to half precision.
* k-means weight sharing (Han et al. 2016, §3): per layer 2^b centroids, linear initialisation over
  [min, max] (their best initialisation), 1-D Lloyd iterations in float64 until the centroids stop moving.
* Structured pruning: :mod:`.structured`.

A :class:`CompressedModel` holds the codes (:class:`~.codes.TensorCode`, what the payload stores) and a
module whose tensors are exactly the decoded codes, so the in-memory model and a reloaded payload compute
the same logits.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from . import get
from .codes import TensorCode, decode, int_offset

COMPRESSED_LAYERS = (nn.Conv1d, nn.Conv2d, nn.Linear)


def compressed_weights(model: nn.Module) -> list[str]:
    """State-dict names of the weights the schemes compress: every Conv/Linear layer's ``weight``."""
    return [f"{name}.weight" for name, m in model.named_modules() if isinstance(m, COMPRESSED_LAYERS)]


def magnitude_masks(
    weights: dict[str, torch.Tensor], sparsity: float, scope: str = "global"
) -> dict[str, torch.Tensor]:
    """Keep-masks (bool, the weights' shapes) removing the ⌊s·N⌋ smallest |w|, N over all weights
    (``scope="global"``) or per tensor (``"layer"``)."""
    if scope == "layer":
        return {k: magnitude_masks({k: w}, sparsity)[k] for k, w in weights.items()}
    if scope != "global":
        raise ValueError(f"scope must be 'global' or 'layer', got {scope!r}")
    flat = torch.cat([w.detach().reshape(-1).abs().float().cpu() for w in weights.values()])
    removed = int(np.floor(sparsity * flat.numel() + 1e-9))
    keep = torch.ones(flat.numel(), dtype=torch.bool)
    if removed > 0:  # = a stable argsort's first `removed` positions, in O(N): below the threshold, then ties
        threshold = torch.kthvalue(flat, removed).values
        keep = flat >= threshold
        ties = torch.nonzero(flat == threshold).reshape(-1)
        keep[ties[: removed - int((~keep).sum())]] = False
    masks, start = {}, 0
    for name, w in weights.items():
        masks[name] = keep[start : start + w.numel()].reshape(w.shape)
        start += w.numel()
    return masks


def int_quantize(
    w: torch.Tensor, bits: int, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(q, scales)``: integers q ∈ [−q_max, q_max] (w's shape, float) and one fp32 scale per output
    channel, scale = max|w| / q_max over the channel's kept entries (a zero channel gets scale 0, q 0)."""
    qmax = int_offset(bits)
    if mask is not None:
        w = w * mask
    flat = w.reshape(w.shape[0], -1).float()
    scales = flat.abs().amax(dim=1) / qmax
    safe = torch.where(scales > 0, scales, torch.ones_like(scales))
    q = torch.round(flat / safe[:, None]).clamp(-qmax, qmax)
    return q.reshape(w.shape), scales


def fake_int_quantize(w: torch.Tensor, bits: int, mask: torch.Tensor | None = None) -> torch.Tensor:
    """w projected onto its b-bit per-channel grid (q·scale), as the decoder computes it."""
    q, scales = int_quantize(w, bits, mask)
    return (q.reshape(w.shape[0], -1) * scales[:, None]).reshape(w.shape)


def kmeans_1d(values: np.ndarray, clusters: int, max_iterations: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """``(codebook float32, index)``: 1-D k-means with linear initialisation over [min, max] (Han et al.).

    Lloyd steps on sorted centroids: a value belongs to the first centroid whose upper midpoint it does
    not exceed; on the sorted values with their prefix sums a step costs O(k log N), not O(N). An empty
    cluster keeps its centroid; the loop stops when no centroid moves. The final assignment is to the
    nearest fp32 centroid, so decoding ``codebook[index]`` is the stored model exactly.
    """
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    if x.size == 0:
        return np.zeros(clusters, dtype=np.float32), np.zeros(0, dtype=np.int64)
    ordered = np.sort(x)
    prefix = np.concatenate([[0.0], np.cumsum(ordered)])
    centroids = np.linspace(ordered[0], ordered[-1], clusters)
    for _ in range(max_iterations):
        inner = np.searchsorted(ordered, (centroids[1:] + centroids[:-1]) / 2, side="right")
        edges = np.concatenate([[0], inner, [x.size]])
        counts = np.diff(edges)
        sums = prefix[edges[1:]] - prefix[edges[:-1]]
        updated = np.sort(np.where(counts > 0, sums / np.maximum(counts, 1), centroids))
        if np.array_equal(updated, centroids):
            break
        centroids = updated
    codebook = centroids.astype(np.float32)
    mids = (codebook[1:].astype(np.float64) + codebook[:-1]) / 2
    return codebook, np.searchsorted(mids, x).astype(np.int64)


def encode_weight(
    w: torch.Tensor,
    values: str,
    bits: int,
    mask: torch.Tensor | None = None,
    shared: tuple[np.ndarray, np.ndarray] | None = None,
) -> TensorCode:
    """The code of one compressed weight: the kept entries (all when ``mask`` is None or all True) in the
    value form ``values`` (``fp32``, ``fp16``, ``int`` at ``bits``, ``kmeans`` with 2^bits clusters, or the
    given ``shared`` = (codebook, index) of a k-means fine-tuning)."""  # fmt: skip
    w = w.detach().float().cpu()
    flat_mask = None if mask is None or bool(mask.all()) else mask.detach().cpu().reshape(-1).numpy()
    kept = w.reshape(-1).numpy() if flat_mask is None else w.reshape(-1).numpy()[flat_mask]
    shape = tuple(w.shape)
    if values in ("fp32", "fp16"):
        dtype = np.float32 if values == "fp32" else np.float16
        return TensorCode(
            shape, values, kept.astype(dtype), bits=32 if values == "fp32" else 16, mask=flat_mask
        )
    if values == "int":
        m = None if flat_mask is None else torch.from_numpy(flat_mask).reshape(shape)
        q, scales = int_quantize(w, bits, m)
        codes = (q.reshape(-1).numpy().astype(np.int64) + int_offset(bits)).astype(np.uint8)
        data = codes if flat_mask is None else codes[flat_mask]
        return TensorCode(shape, "int", data, bits=bits, mask=flat_mask, scales=scales.numpy())
    if values == "kmeans":
        codebook, index = shared if shared is not None else kmeans_1d(kept, 1 << bits)
        return TensorCode(shape, "kmeans", index.astype(np.uint8), bits=bits, mask=flat_mask,
                          codebook=np.asarray(codebook, dtype=np.float32))  # fmt: skip
    raise ValueError(f"unknown value form {values!r}; allowed: fp32, fp16, int, kmeans")


def encode_state(
    model: nn.Module,
    scheme: str,
    amount: float | int,
    masks: dict[str, torch.Tensor] | None = None,
    shared: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> dict[str, TensorCode]:
    """Codes of every state_dict tensor of ``model`` under ``scheme`` (structured pruning excluded: shrink
    first). ``masks`` fixes the pruning masks (else magnitude masks are computed when the scheme prunes);
    ``shared`` fixes k-means codebooks and assignments. Biases, BN tensors and integer buffers are stored
    whole: fp16 under fp16 schemes, else fp32; ``Standardize`` buffers always fp32."""  # fmt: skip
    spec = get(scheme)
    steps = spec.step_amounts(amount)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    targets = compressed_weights(model)
    if masks is None and spec.pruning in ("prune_global", "prune_layer"):
        scope = "global" if spec.pruning == "prune_global" else "layer"
        masks = magnitude_masks({k: state[k] for k in targets}, steps[spec.pruning], scope)
    masks, shared = masks or {}, shared or {}
    bits = int(steps.get(spec.values, 32))
    codes: dict[str, TensorCode] = {}
    for name, t in state.items():
        if name in targets:
            codes[name] = encode_weight(t, spec.values, bits, masks.get(name), shared.get(name))
        elif not t.is_floating_point():
            codes[name] = TensorCode(tuple(t.shape), "int64", t.reshape(-1).numpy().astype(np.int64), bits=64)
        else:
            form = "fp16" if spec.values == "fp16" and not name.startswith("standardize.") else "fp32"
            dtype = np.float16 if form == "fp16" else np.float32
            codes[name] = TensorCode(tuple(t.shape), form, t.reshape(-1).numpy().astype(dtype),
                                     bits=16 if form == "fp16" else 32)  # fmt: skip
    return codes


def decoded_state(codes: dict[str, TensorCode]) -> dict[str, torch.Tensor]:
    """The state_dict the codes stand for."""
    return {name: torch.from_numpy(np.ascontiguousarray(decode(code))) for name, code in codes.items()}


@dataclass
class CompressedModel:
    """A compressed registry model: its codes (what is stored) and the module they decode to (eval mode)."""

    module: nn.Module
    codes: dict[str, TensorCode]
    model_name: str
    scheme: str
    amount: float | int
    compress_seconds: float = 0.0

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.module.input_shape)

    @property
    def num_classes(self) -> int:
        return int(self.module.head.out_features)

    def masks(self) -> dict[str, torch.Tensor]:
        """Keep-masks (bool, weight-shaped) of the weights stored sparse."""
        return {
            k: torch.from_numpy(c.mask.copy()).reshape(c.shape)
            for k, c in self.codes.items()
            if c.mask is not None
        }


def with_codes(module: nn.Module, codes: dict[str, TensorCode]) -> nn.Module:
    """``module`` (changed in place) holding exactly the decoded codes, in eval mode."""
    module.load_state_dict(decoded_state(codes), strict=True)
    return module.eval()


def compress(model: nn.Module, model_name: str, scheme: str, amount: float | int) -> CompressedModel:
    """Post-training compression of a trained registry model (unchanged; the result holds a CPU copy)."""
    from . import check_supported
    from .structured import select_filters, shrink

    check_supported(scheme, model_name)
    amount = get(scheme).validate(amount)
    t0 = time.perf_counter()
    module = copy.deepcopy(model).cpu().eval()
    if get(scheme).structured:
        module = shrink(module, select_filters(module, float(amount)))
    codes = encode_state(module, scheme, amount)
    module = with_codes(module, codes)
    return CompressedModel(module, codes, model_name, scheme, amount, time.perf_counter() - t0)


def project_weights(model: nn.Module, scheme: str, amount: float | int) -> dict[str, torch.Tensor]:
    """The compressed weights closest (by the scheme's rule) to ``model``'s current weights, same shapes
    and device: Condensa's C-step. Structured pruning projects to the zero-filled network (pruned filters
    and the next layer's matching inputs zeroed), which computes what the shrunk network computes."""
    from .structured import select_filters, zero_masks

    spec = get(scheme)
    targets = compressed_weights(model)
    state = model.state_dict()
    if spec.structured:
        masks = zero_masks(model, select_filters(model, float(spec.validate(amount))))
        return {k: state[k].detach() * masks[k].to(state[k].device) for k in targets}
    codes = encode_state(model, scheme, amount)
    return {k: torch.from_numpy(decode(codes[k])).to(state[k].device) for k in targets}
