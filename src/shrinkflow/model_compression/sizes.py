"""Size accounting of a compressed model: the real payload bytes beside the conventions papers use.

* ``stored_bytes``: ``os.path.getsize`` of the payload (header, indices, scales, codebooks, padding).
* ``dense_fp32_bytes``: 4 bytes × every state_dict entry of the original (parameters and buffers);
  ``state_dict_file_bytes``: the original state_dict as ``torch.save`` writes it (what a run keeps).
* ``shrinkbench_ratio``: ShrinkBench's compression ratio, parameters / nonzero parameters (counts, not
  bytes; Blalock et al. 2020).
* ``four_bytes_per_nonzero_bytes``: 4 bytes per nonzero entry and no index cost, the convention of Barth &
  von Petersenn's code; its ratio is against ``dense_fp32_bytes`` (both count every state_dict entry).
* ``bits_per_weight``: 8·``stored_bytes`` / the original's parameter count (every parameter, biases and
  BatchNorm included, so ``32`` would be a dense fp32 model without buffers or header).
"""

from __future__ import annotations

import io
import os
from typing import Any

import torch
from torch import nn

from .payload import read_header
from .schemes import CompressedModel, compressed_weights


def _nonzero(tensors) -> int:
    return int(sum(int(torch.count_nonzero(t)) for t in tensors))


def state_dict_file_bytes(model: nn.Module) -> int:
    """Bytes of ``torch.save(model.state_dict())`` (written to memory)."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def payload_breakdown(path: str | os.PathLike) -> dict[str, int]:
    """Bytes of the payload's header (magic, version, length, JSON), sparse supports (masks or indices)
    and values (values, scales, codebooks); they sum to the file size."""
    with open(path, "rb") as fh:
        data = fh.read()
    header, offset = read_header(data)
    support = sum(e["nbytes"][0] for e in header["tensors"] if e["support"] != "dense")
    return {
        "header_bytes": offset,
        "sparse_index_bytes": support,
        "value_bytes": len(data) - offset - support,
    }


def size_report(
    original: nn.Module, compressed: CompressedModel, payload_path: str | os.PathLike
) -> dict[str, Any]:
    """The size keys of a compressed model's metrics.json (see the module docstring for each convention)."""
    stored = os.path.getsize(payload_path)
    state = original.state_dict()
    dense = 4 * sum(t.numel() for t in state.values())
    sd_bytes = state_dict_file_bytes(original)
    parameters = sum(p.numel() for p in original.parameters())
    nonzero_parameters = _nonzero(compressed.module.parameters())
    weights = compressed_weights(original)
    new_state = compressed.module.state_dict()
    four = 4 * _nonzero(new_state.values())
    return {
        "stored_bytes": stored,
        **payload_breakdown(payload_path),
        "dense_fp32_bytes": dense,
        "state_dict_file_bytes": sd_bytes,
        "compression_ratio": dense / stored,
        "state_dict_file_ratio": sd_bytes / stored,
        "total_parameters": parameters,
        "compressed_parameters": sum(p.numel() for p in compressed.module.parameters()),
        "nonzero_parameters": nonzero_parameters,
        "total_weights": sum(state[k].numel() for k in weights),
        "nonzero_weights": _nonzero(new_state[k] for k in compressed_weights(compressed.module)),
        "shrinkbench_ratio": parameters / max(nonzero_parameters, 1),
        "four_bytes_per_nonzero_bytes": four,
        "four_bytes_per_nonzero_ratio": dense / max(four, 1),
        "bits_per_weight": 8 * stored / parameters,
    }
