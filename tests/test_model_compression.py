"""Model compression: the registry, exact codes on known weights, hand-counted bytes, payload round trips."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from shrinkflow import models
from shrinkflow.model_compression import (
    STRUCTURED_MODELS,
    AmountError,
    get,
    names,
    supports,
    validate_amount,
)
from shrinkflow.model_compression.codes import (
    TensorCode,
    choose_support,
    decode,
    from_segments,
    pack_bits,
    to_segments,
    unpack_bits,
)
from shrinkflow.model_compression.payload import PayloadError, from_bytes, load, save, to_bytes
from shrinkflow.model_compression.schemes import (
    compress,
    encode_weight,
    kmeans_1d,
    magnitude_masks,
    project_weights,
)
from shrinkflow.model_compression.sizes import size_report
from shrinkflow.model_compression.structured import is_chain

#: a tiny view per model (the CIFAR models take any image ≥ 1 × 1)
SHAPES = {"cnn1d_paper": (6, 6, 1), "lenet300": (6, 6, 1), "cnn2d": (6, 6, 1), "cnn2d_bn": (6, 6, 1)}


@pytest.fixture(autouse=True)
def one_thread():
    saved = torch.get_num_threads()
    torch.set_num_threads(1)  # small tensors: a second thread on a busy 2-core machine costs ms per op
    yield
    torch.set_num_threads(saved)


def example_amount(scheme: str) -> float | int:
    spec = get(scheme)
    return 0.6 if spec.amount_kind == "sparsity" else spec.allowed_bits[0]


def trained_like(name: str, shape=None, seed: int = 0) -> nn.Module:
    """A registry model with random weights and BN statistics (so BN is not the identity)."""
    torch.manual_seed(seed)
    model = models.build(name, shape or SHAPES.get(name, (4, 4, 3)), 3)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    model.standardize.set_statistics(0.3, 0.7)
    return model.eval()


# ---- registry ---------------------------------------------------------------------------------------


def test_registry_names_and_amounts_import_without_torch():
    code = (
        "import sys; from shrinkflow import model_compression as mc; "
        "mc.validate_amount('prune_global', 0.5); mc.supports('prune_structured', 'resnet20'); "
        "print(sorted(mc.names()), 'torch' in sys.modules, 'numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False False"), out
    assert "prune_quantize" in out


@pytest.mark.parametrize(
    ("scheme", "amount", "allowed"),
    [
        ("prune_global", 1.0, "[0, 1)"),
        ("prune_layer", -0.1, "[0, 1)"),
        ("prune_structured", "lots", "[0, 1)"),
        ("prune_quantize", True, "[0, 1)"),
        ("quantize_int", 5, "[2, 3, 4, 8]"),
        ("quantize_int", 4.5, "[2, 3, 4, 8]"),
        ("kmeans", 0, "[1, 2, 3, 4, 5, 6, 7, 8]"),
        ("quantize_fp16", 8, "[16]"),
    ],
)
def test_bad_amounts_are_rejected_naming_the_value_and_what_is_allowed(scheme, amount, allowed):
    with pytest.raises(AmountError) as info:
        validate_amount(scheme, amount)
    assert repr(amount) in str(info.value) and allowed in str(info.value) and scheme in str(info.value)


def test_the_lazy_public_names_resolve():
    import shrinkflow.model_compression as mc

    assert all(callable(getattr(mc, name)) for name in mc._LAZY)
    with pytest.raises(AttributeError):
        mc.no_such_function  # noqa: B018


def test_amounts_are_normalised_to_numbers():
    assert validate_amount("prune_global", "0.9") == 0.9 and validate_amount("prune_layer", 0) == 0.0
    assert validate_amount("quantize_int", 4.0) == 4 and isinstance(validate_amount("kmeans", "3"), int)
    with pytest.raises(ValueError, match="allowed"):
        get("prune_everything")


def test_the_structured_support_table_matches_the_models():
    for name in models.names():
        model = models.build(name, (4, 4, 3), 3)
        assert is_chain(model) == (name in STRUCTURED_MODELS) == supports("prune_structured", name), name
        assert all(supports(s, name) for s in names() if not get(s).structured)
    with pytest.raises(AmountError, match="resnet20"):
        compress(trained_like("resnet20"), "resnet20", "prune_structured", 0.5)


# ---- codes on known weights -------------------------------------------------------------------------


def test_bits_are_packed_little_endian_and_unpack_exactly():
    assert pack_bits(np.array([1, 2, 3]), 2) == bytes([0b111001])
    values = np.random.default_rng(0).integers(0, 2**13, size=1001)
    packed = pack_bits(values, 13)
    assert len(packed) == (1001 * 13 + 7) // 8
    assert np.array_equal(unpack_bits(packed, 13, 1001), values)


def test_global_and_layer_magnitude_masks_are_exact():
    weights = {"a": torch.tensor([[1.0, -5.0], [3.0, 0.5]]), "b": torch.tensor([-2.0, 4.0, 0.1])}
    glob = magnitude_masks(weights, 0.5)  # N = 7: the 3 smallest |w| are 0.1, 0.5, 1
    assert glob["a"].tolist() == [[False, True], [True, False]] and glob["b"].tolist() == [True, True, False]
    layer = magnitude_masks(weights, 0.5, "layer")  # ⌊2⌋ of a, ⌊1.5⌋ of b
    assert layer["a"].tolist() == [[False, True], [True, False]]
    assert layer["b"].tolist() == [True, True, False]
    ties = magnitude_masks({"t": torch.tensor([1.0, -1.0, 1.0, 1.0, 2.0])}, 0.5)["t"]
    assert ties.tolist() == [False, False, True, True, True]  # ⌊2.5⌋ removed, earlier ties first


def test_integer_quantization_gives_the_known_codes_and_bytes():
    w = torch.tensor([[1.0, -0.5, 0.25], [0.0, 0.0, 0.0]])
    code = encode_weight(w, "int", 3)  # q_max 3, scales 1/3 and 0
    assert code.scales.tolist() == [np.float32(1.0) / 3, 0.0]
    assert code.data.tolist() == [6, 1, 4, 3, 3, 3]  # q = 3, −2 (−1.5 to even), 1 (0.75), zeros; + 3
    expected = np.array([3, -2, 1, 0, 0, 0], dtype=np.float32) * np.float32(1 / 3)  # row 2: q = 0
    assert np.array_equal(decode(code).reshape(-1), expected)
    entry, segments = to_segments("w", code)
    assert entry["nbytes"] == [3, 8]  # 6 codes × 3 bits → 3 bytes; 2 fp32 scales
    assert decode(encode_weight(w, "int", 2)).tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]  # −0.5 → −0


def test_kmeans_starts_linear_and_decodes_to_its_codebook():
    codebook, index = kmeans_1d(np.array([0.0, 0.1, 0.9, 1.0]), 2)
    assert codebook.tolist() == [np.float32(0.05), np.float32(0.95)] and index.tolist() == [0, 0, 1, 1]
    w = torch.linspace(-1, 1, 40).reshape(4, 10)
    code = encode_weight(w, "kmeans", 2)
    assert len(np.unique(decode(code))) == 4 and to_segments("w", code)[0]["nbytes"] == [10, 16]


def test_the_cheapest_sparse_support_is_chosen_with_hand_counted_bytes():
    def sparse(positions, numel):
        mask = np.zeros(numel, dtype=bool)
        mask[positions] = True
        return TensorCode((numel,), "fp32", np.arange(1, len(positions) + 1, dtype=np.float32), mask=mask)

    # 4 of 16: mask 2 B; gaps 1,5,5,5 at 3 bits → 2 B; positions ≤ 15 at 4 bits → 2 B: a tie, mask first
    assert choose_support(sparse([0, 5, 10, 15], 16)) == ("mask", 1)
    assert to_segments("w", sparse([0, 5, 10, 15], 16))[0]["nbytes"] == [2, 16]
    assert choose_support(sparse([200], 256)) == ("delta", 8)  # mask 32 B; gap 201 and position 200: 1 B
    assert choose_support(sparse([255], 256)) == ("index", 8)  # the gap 256 needs 9 bits, position 255 8
    assert choose_support(sparse(list(range(16)), 16)) == ("dense", 0)  # 64 B < 2 + 64 B
    for code in (sparse([0, 5, 10, 15], 16), sparse([255], 256), sparse([3, 4, 9], 10)):
        entry, segments = to_segments("w", code)
        assert np.array_equal(decode(from_segments(entry, segments)), decode(code))


# ---- models -------------------------------------------------------------------------------------------


def _cases():
    small = [m for m in models.names() if m not in ("vgg19_bn",)]
    cases = [(m, s) for m in small for s in names() if supports(s, m)]
    # VGG-19 has 20 M parameters whatever the view: two schemes keep the test fast (the codes are shared)
    return cases + [("vgg19_bn", "prune_structured"), ("vgg19_bn", "prune_quantize")]


@pytest.mark.parametrize(("model_name", "scheme"), _cases())
def test_a_reloaded_payload_gives_identical_logits_and_bytes(model_name, scheme, tmp_path):
    model = trained_like(model_name)
    compressed = compress(model, model_name, scheme, example_amount(scheme))
    path = tmp_path / "payload.bin"
    size = save(compressed, path)
    reloaded = load(path)
    x = torch.randn(3, *model.input_shape)
    with torch.inference_mode():
        assert torch.equal(compressed.module(x), reloaded(x))
    assert size == path.stat().st_size == len(to_bytes(from_bytes(path.read_bytes())))
    assert path.read_bytes() == to_bytes(compress(model, model_name, scheme, example_amount(scheme)))


def test_structured_pruning_shrinks_layers_and_equals_the_zero_filled_network(tmp_path):
    model = trained_like("cnn2d_bn", (8, 8, 1))
    compressed = compress(model, "cnn2d_bn", "prune_structured", 0.5)
    shapes = {k: tuple(c.shape) for k, c in compressed.codes.items()}
    assert shapes["body.0.weight"] == (8, 1, 3, 3) and shapes["body.1.running_var"] == (8,)
    assert shapes["body.4.weight"] == (16, 8, 3, 3) and shapes["body.9.weight"] == (64, 16 * 2 * 2)
    assert shapes["head.weight"] == (3, 64)
    zero_filled = trained_like("cnn2d_bn", (8, 8, 1))
    projected = project_weights(model, "prune_structured", 0.5)
    zero_filled.load_state_dict({**zero_filled.state_dict(), **projected})
    x = torch.randn(5, 8, 8, 1)
    with torch.inference_mode():
        torch.testing.assert_close(compressed.module(x), zero_filled(x), rtol=1e-5, atol=1e-5)
    dense = save(compress(model, "cnn2d_bn", "prune_structured", 0.0), tmp_path / "dense.bin")
    assert save(compressed, tmp_path / "half.bin") < dense / 2


def test_structured_pruning_keeps_one_unit_and_all_classes():
    compressed = compress(trained_like("lenet300", (4, 4)), "lenet300", "prune_structured", 0.999)
    shapes = {k: tuple(c.shape) for k, c in compressed.codes.items()}
    assert shapes["body.0.weight"] == (1, 16) and shapes["body.2.weight"] == (1, 1)
    assert shapes["head.weight"] == (3, 1)


def test_prune_quantize_stores_fp16_survivors_and_fp32_input_statistics():
    compressed = compress(trained_like("lenet300"), "lenet300", "prune_quantize", 0.9)
    head = compressed.codes["head.weight"]
    assert head.values == "fp16" and head.mask is not None and compressed.codes["head.bias"].values == "fp16"
    assert compressed.codes["standardize.input_std"].values == "fp32"
    weights = [compressed.codes[k] for k in ("body.0.weight", "body.2.weight", "head.weight")]
    total = sum(c.numel for c in weights)
    assert sum(int(c.mask.sum()) for c in weights) == total - int(0.9 * total)


def test_size_report_counts_the_file_and_the_conventions(tmp_path):
    model = trained_like("lenet300")
    compressed = compress(model, "lenet300", "prune_global", 0.75)
    path = tmp_path / "p.bin"
    save(compressed, path)
    report = size_report(model, compressed, path)
    params = sum(p.numel() for p in model.parameters())  # 36·300 + 300 + 300·100 + 100 + 100·3 + 3
    assert params == 41503 and report["total_parameters"] == params
    assert report["stored_bytes"] == path.stat().st_size
    parts = report["header_bytes"] + report["sparse_index_bytes"] + report["value_bytes"]
    assert parts == report["stored_bytes"]
    assert report["dense_fp32_bytes"] == 4 * (params + 2)  # + the two Standardize scalars
    assert report["total_weights"] == 41100 and report["nonzero_weights"] == 41100 - int(0.75 * 41100)
    assert report["nonzero_parameters"] == report["nonzero_weights"] + 403  # biases are not pruned
    assert report["shrinkbench_ratio"] == params / report["nonzero_parameters"]
    assert report["four_bytes_per_nonzero_bytes"] == 4 * (report["nonzero_parameters"] + 2)
    assert report["bits_per_weight"] == 8 * report["stored_bytes"] / params
    assert report["compression_ratio"] == report["dense_fp32_bytes"] / report["stored_bytes"] > 2.5


def test_a_file_that_is_not_a_payload_is_rejected(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"PK\x03\x04 not ours")
    with pytest.raises(PayloadError, match="magic"):
        load(tmp_path / "x.bin")


@pytest.mark.parametrize(
    "scheme, amount", [("prune_global", 0.5), ("prune_structured", 0.5), ("quantize_fp16", 16)]
)
def test_a_centred_run_keeps_its_input_offset_through_the_payload(tmp_path, scheme, amount):
    """Runs trained with train.input_center carry standardize.input_offset; the payload stores it (fp32)."""
    model = models.build("cnn1d_paper", (8, 8, 1), 10)
    model.standardize.set_offset(torch.rand(8, 8, 1, generator=torch.Generator().manual_seed(0)))
    from shrinkflow import model_compression as mc

    compressed = mc.compress(model, "cnn1d_paper", scheme, amount)
    mc.save(compressed, tmp_path / "model.bin")
    loaded = mc.load(tmp_path / "model.bin")
    assert torch.equal(loaded.standardize.input_offset, model.standardize.input_offset)
    x = torch.rand(4, 8, 8, 1)
    assert torch.equal(loaded(x), compressed.module(x))
