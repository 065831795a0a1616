"""Datasets: IDX and CIFAR readers on files the tests write, each loader end to end, the pinned tables."""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shrinkflow import datasets
from shrinkflow.datasets import DatasetError, RemoteFile, read_cifar_tar, read_idx

# ----------------------------------------------------------------------------------------------- helpers


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    """An IDX file: magic 00 00 <code> <ndim>, big-endian uint32 dims, big-endian data."""
    big = array.astype(array.dtype.newbyteorder(">"))
    dims = np.asarray(array.shape, dtype=">u4").tobytes()
    return bytes([0, 0, code, array.ndim]) + dims + big.tobytes()


def publish(folder: Path, files: dict[str, bytes]) -> list[RemoteFile]:
    """Write files into ``folder`` and describe them as a table with file:// URLs and their real sha256."""
    folder.mkdir(parents=True, exist_ok=True)
    table = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
        table.append(RemoteFile(name, ((folder / name).as_uri(),), digest, len(data), "test"))
    return table


def tiny_idx_set(rng: np.random.Generator, n_train: int = 12, n_test: int = 5, side: int = 28):
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, side, side), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, side, side), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test).astype(np.uint8),
    }
    files = {datasets.IDX_NAMES[k]: gzip.compress(idx_bytes(v, 0x08), mtime=0) for k, v in arrays.items()}
    return arrays, files


# ------------------------------------------------------------------------------------------------- IDX


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trips_ubyte_images_and_labels(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 7).astype(np.uint8)
    for name, array in [("images", images), ("labels", labels)]:
        data = idx_bytes(array, 0x08)
        data = gzip.compress(data) if compress else data
        (tmp_path / name).write_bytes(data)
        from_path, from_bytes = read_idx(tmp_path / name), read_idx(data)
        for out in (from_path, from_bytes):
            assert out.dtype == np.uint8 and out.shape == array.shape
            np.testing.assert_array_equal(out, array)
        assert from_path.flags.writeable


def test_read_idx_reads_multibyte_types_big_endian():
    values = np.array([[-2, 300], [70000, -1]], dtype=np.int32)
    out = read_idx(idx_bytes(values, 0x0C))
    assert out.dtype == np.dtype("int32") and out.dtype.isnative
    np.testing.assert_array_equal(out, values)
    floats = np.array([0.5, -1.25, 3e10], dtype=np.float32)
    np.testing.assert_array_equal(read_idx(idx_bytes(floats, 0x0D)), floats)
    np.testing.assert_array_equal(read_idx(idx_bytes(np.array([-3, 4], np.int8), 0x09)), [-3, 4])


GOOD = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4), 0x08)
GOOD_GZ = gzip.compress(GOOD, mtime=0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (GOOD[:3], "header truncated (3 of 4 magic bytes)"),
        (b"\x01\x00" + GOOD[2:], "not an IDX file (magic starts 0100"),
        (b"\x00\x00\x07\x02" + GOOD[4:], "unknown IDX dtype code 0x07; allowed: 0x08, 0x09, 0x0B"),
        (b"\x00\x00\x08\x00", "declares 0 dimensions"),
        (GOOD[:9], "header truncated (5 of 8 dimension bytes)"),
        (GOOD[:-1], "payload truncated: 11 of 12 bytes for shape (3, 4)"),
        (GOOD + b"\x00", "trailing bytes after the 12-byte IDX payload"),
        (b"\x00\x00\x08\x03" + np.array([2**31] * 3, ">u4").tobytes(), "bytes), over"),
        (gzip.compress(GOOD)[:-10], "corrupt or truncated gzip"),
        (GOOD_GZ[:-8] + bytes(b ^ 0xFF for b in GOOD_GZ[-8:-4]) + GOOD_GZ[-4:], "corrupt or truncated gzip"),
    ],
)
def test_read_idx_rejects_garbled_files_with_a_clear_message(data, message):
    with pytest.raises(DatasetError, match=re.escape(message)):
        read_idx(data)


def test_read_idx_names_a_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="no such IDX file"):
        read_idx(tmp_path / "nope.gz")


# ------------------------------------------------------------------------------------------------- CIFAR


def cifar_batch(rng: np.random.Generator, n: int) -> dict:
    return {
        b"batch_label": b"test",
        b"labels": rng.integers(0, 10, n).tolist(),
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"filenames": [f"img{i}.png".encode() for i in range(n)],
    }


def cifar_tarball(members: dict[str, object], order: list[str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in order or list(members):
            obj = members[name]
            data = obj if isinstance(obj, bytes) else pickle.dumps(obj, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def cifar_members(rng: np.random.Generator) -> dict[str, object]:
    members: dict[str, object] = {f"data_batch_{i}": cifar_batch(rng, i + 1) for i in range(1, 6)}
    members["test_batch"] = cifar_batch(rng, 3)
    members["batches.meta"] = {b"label_names": [n.encode() for n in datasets.CIFAR10_CLASSES]}
    members["readme.html"] = b"<html></html>"
    return members


def test_read_cifar_tar_streams_batches_into_nhwc_in_batch_order(tmp_path):
    members = cifar_members(np.random.default_rng(1))
    shuffled = ["data_batch_4", "readme.html", "test_batch", "data_batch_3", "batches.meta"]
    shuffled += ["data_batch_2", "data_batch_5", "data_batch_1"]
    path = tmp_path / "cifar-10-python.tar.gz"
    path.write_bytes(cifar_tarball(members, shuffled))
    out = read_cifar_tar(path)
    assert list(tmp_path.iterdir()) == [path]  # nothing extracted

    train = [members[f"data_batch_{i}"] for i in range(1, 6)]
    flat = np.concatenate([b[b"data"] for b in train])
    assert out["x_train"].shape == (2 + 3 + 4 + 5 + 6, 32, 32, 3) and out["x_train"].dtype == np.uint8
    np.testing.assert_array_equal(out["y_train"], np.concatenate([b[b"labels"] for b in train]))
    assert out["y_train"].dtype == np.int64
    # channel c of pixel (y, x) is element c·1024 + y·32 + x of the row (R, G, B planes, row-major)
    n, y, x = 7, 5, 30
    for c in range(3):
        assert out["x_train"][n, y, x, c] == flat[n, c * 1024 + y * 32 + x]
    np.testing.assert_array_equal(out["x_train"], flat.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    test = members["test_batch"]
    np.testing.assert_array_equal(out["x_test"], test[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    assert out["class_names"].tolist() == datasets.CIFAR10_CLASSES
    assert out["x_train"].flags.c_contiguous


def test_read_cifar_tar_reads_a_file_object():
    members = cifar_members(np.random.default_rng(2))
    out = read_cifar_tar(io.BytesIO(cifar_tarball(members)))
    assert out["x_test"].shape == (3, 32, 32, 3)


def test_read_cifar_tar_names_missing_members():
    members = cifar_members(np.random.default_rng(3))
    del members["data_batch_3"], members["batches.meta"]
    with pytest.raises(DatasetError, match=re.escape("lacks ['batches.meta', 'data_batch_3']")):
        read_cifar_tar(io.BytesIO(cifar_tarball(members)))


def test_read_cifar_tar_rejects_wrong_shapes_and_labels():
    members = cifar_members(np.random.default_rng(4))
    members["test_batch"][b"data"] = np.zeros((3, 3000), np.uint8)
    with pytest.raises(
        DatasetError, match=re.escape("test_batch: data is uint8 (3, 3000), expected uint8 N×3072")
    ):
        read_cifar_tar(io.BytesIO(cifar_tarball(members)))
    members = cifar_members(np.random.default_rng(4))
    members["data_batch_2"][b"labels"] = [0, 10, 1]
    with pytest.raises(DatasetError, match="train labels span 0..10, expected 0..9"):
        read_cifar_tar(io.BytesIO(cifar_tarball(members)))


class _Evil:
    def __reduce__(self):
        return (print, ("pickle ran code",))


def test_read_cifar_tar_refuses_pickles_that_would_run_code():
    members = cifar_members(np.random.default_rng(5))
    members["data_batch_1"] = {b"data": _Evil(), b"labels": []}
    with pytest.raises(DatasetError, match=r"refusing to load __builtin__\.print"):
        read_cifar_tar(io.BytesIO(cifar_tarball(members)))


def test_read_cifar_tar_rejects_non_tar_input():
    with pytest.raises(DatasetError, match="not a readable tar archive"):
        read_cifar_tar(io.BytesIO(gzip.compress(b"not a tar" * 100)))


# ----------------------------------------------------------------------------- loaders end to end


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_idx_datasets_download_verify_and_load_the_official_split(tmp_path, name):
    arrays, files = tiny_idx_set(np.random.default_rng(6))
    dataset = datasets.get(name).with_files(publish(tmp_path / "mirror", files))
    out, meta = dataset.prepare(cache_dir=tmp_path / "cache", split_seed=3)
    for key in ("x_train", "x_test"):
        np.testing.assert_array_equal(out[key], arrays[key][..., None])
        assert out[key].dtype == np.uint8 and out[key].shape[1:] == (28, 28, 1)
    for key in ("y_train", "y_test"):
        np.testing.assert_array_equal(out[key], arrays[key])
        assert out[key].dtype == np.int64
    assert out["class_names"].tolist() == datasets.get(name).class_names
    assert (meta["n_train"], meta["n_test"], meta["image_shape"]) == (12, 5, [28, 28, 1])
    assert "official" in meta["split"] and "split_seed is not used" in meta["split"]
    assert sorted(f["path"] for f in meta["source_files"]) == sorted(files)
    for record in meta["source_files"]:
        assert record["sha256"] == hashlib.sha256(files[record["path"]]).hexdigest()
    assert sorted(p.name for p in (tmp_path / "cache" / name).iterdir()) == sorted(files)

    # offline from data_root: same arrays, nothing fetched (the URLs now point nowhere)
    offline = dataset.with_files([RemoteFile(f.name, (), f.digest, f.size_bytes) for f in dataset.files])
    out2, _ = offline.prepare(data_root=tmp_path / "mirror", download=False)
    np.testing.assert_array_equal(out2["x_train"], out["x_train"])


def test_mnist_and_fashion_mnist_share_file_names_but_not_a_cache_folder(tmp_path):
    mnist, files_a = tiny_idx_set(np.random.default_rng(10))
    fashion, files_b = tiny_idx_set(np.random.default_rng(11))
    cache = tmp_path / "downloads"
    out_a, _ = datasets.get("mnist").with_files(publish(tmp_path / "a", files_a)).prepare(cache_dir=cache)
    out_b, _ = (
        datasets.get("fashion_mnist").with_files(publish(tmp_path / "b", files_b)).prepare(cache_dir=cache)
    )
    np.testing.assert_array_equal(out_a["y_train"], mnist["y_train"])
    np.testing.assert_array_equal(out_b["y_train"], fashion["y_train"])
    assert sorted(p.name for p in cache.iterdir()) == ["fashion_mnist", "mnist"]


def test_data_root_per_dataset_folders_and_a_hint_for_a_flat_wrong_file(tmp_path):
    _, files_a = tiny_idx_set(np.random.default_rng(12))
    _, files_b = tiny_idx_set(np.random.default_rng(13))
    root = tmp_path / "raw"
    mnist = datasets.get("mnist").with_files(publish(root / "mnist", files_a))
    fashion = datasets.get("fashion_mnist").with_files(publish(root, files_b))  # flat in data_root
    assert mnist.prepare(data_root=root, download=False)[1]["n_train"] == 12
    assert fashion.prepare(data_root=root, download=False)[1]["n_train"] == 12
    # mnist's table against fashion's flat files: the flat file is used, fails, and the error says why
    mnist_flat = datasets.get("mnist").with_files(mnist.files)
    (root / "mnist" / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match=r"checksum mismatch.*kept apart in .*raw/mnist"):
        mnist_flat.prepare(data_root=root, download=False)


def test_idx_dataset_with_wrong_image_size_is_rejected(tmp_path):
    _, files = tiny_idx_set(np.random.default_rng(7), side=32)
    dataset = datasets.get("mnist").with_files(publish(tmp_path / "mirror", files))
    with pytest.raises(DatasetError, match=r"images are uint8 \(12, 32, 32\), expected uint8 N×28×28"):
        dataset.prepare(data_root=tmp_path / "mirror", download=False)


def test_cifar10_loads_from_a_verified_tarball(tmp_path):
    members = cifar_members(np.random.default_rng(8))
    dataset = datasets.get("cifar10").with_files(
        publish(tmp_path / "mirror", {"cifar-10-python.tar.gz": cifar_tarball(members)})
    )
    out, meta = dataset.prepare(cache_dir=tmp_path / "cache")
    assert out["x_train"].shape == (20, 32, 32, 3) and out["y_test"].shape == (3,)
    assert meta["image_shape"] == [32, 32, 3] and "official" in meta["split"]


def test_cifar10_with_other_class_names_is_rejected(tmp_path):
    members = cifar_members(np.random.default_rng(9))
    members["batches.meta"] = {b"label_names": [b"a"] * 10}
    dataset = datasets.get("cifar10").with_files(
        publish(tmp_path, {"cifar-10-python.tar.gz": cifar_tarball(members)})
    )
    with pytest.raises(DatasetError, match="batches.meta lists classes"):
        dataset.prepare(data_root=tmp_path, download=False)


def kodak_png(height: int, width: int, seed: int) -> tuple[np.ndarray, bytes]:
    yy, xx = np.mgrid[:height, :width]
    pixels = np.stack([xx % 256, yy % 256, (xx + yy + seed) % 256], axis=-1).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return pixels, buffer.getvalue()


def test_kodak_rotates_portraits_and_uses_every_image_for_train_and_test(tmp_path):
    shapes = {"kodim01.png": (512, 768), "kodim02.png": (768, 512), "kodim03.png": (512, 768)}
    pixels, files = {}, {}
    for seed, (name, (h, w)) in enumerate(shapes.items()):
        pixels[name], files[name] = kodak_png(h, w, seed)
    dataset = datasets.get("kodak").with_files(publish(tmp_path / "mirror", files))
    out, meta = dataset.prepare(cache_dir=tmp_path / "cache")
    assert out["x_train"].shape == (3, 512, 768, 3) and out["x_train"].dtype == np.uint8
    np.testing.assert_array_equal(out["x_train"][0], pixels["kodim01.png"])
    np.testing.assert_array_equal(out["x_train"][1], np.rot90(pixels["kodim02.png"], k=1))
    np.testing.assert_array_equal(np.rot90(out["x_train"][1], k=-1), pixels["kodim02.png"])
    np.testing.assert_array_equal(out["x_test"], out["x_train"])
    assert out["y_train"].tolist() == [0, 0, 0] and out["y_test"].tolist() == [0, 0, 0]
    assert meta["rotated_to_landscape"] == ["kodim02.png"]
    assert meta["image_order"] == sorted(shapes) and meta["num_classes"] == 1


def test_kodak_rejects_images_of_another_size(tmp_path):
    _, data = kodak_png(100, 120, 0)
    dataset = datasets.get("kodak").with_files(publish(tmp_path, {"kodim01.png": data}))
    with pytest.raises(DatasetError, match=re.escape("kodim01.png: image is (100, 120, 3)")):
        dataset.prepare(data_root=tmp_path, download=False)


# ------------------------------------------------------------------------------------------ mnist5k


@pytest.fixture(scope="module")
def mnist5k_seed0():
    return datasets.get("mnist5k").prepare(split_seed=0)


def test_mnist5k_split_is_4000_1000_stratified_400_100_per_class(mnist5k_seed0):
    arrays, meta = mnist5k_seed0
    assert arrays["x_train"].shape == (4000, 28, 28, 1) and arrays["x_test"].shape == (1000, 28, 28, 1)
    assert np.bincount(arrays["y_train"], minlength=10).tolist() == [400] * 10
    assert np.bincount(arrays["y_test"], minlength=10).tolist() == [100] * 10
    assert (meta["n_train"], meta["n_test"], meta["split_seed"]) == (4000, 1000, 0)
    assert len(meta["source_files"][0]["sha256"]) == 64


def test_mnist5k_split_is_deterministic_in_split_seed(mnist5k_seed0):
    again, _ = datasets.get("mnist5k").prepare(split_seed=0)
    for key in ("x_train", "y_train", "x_test", "y_test"):
        assert again[key].tobytes() == mnist5k_seed0[0][key].tobytes()
    other, _ = datasets.get("mnist5k").prepare(split_seed=1)
    assert other["x_test"].tobytes() != mnist5k_seed0[0]["x_test"].tobytes()
    # same 5,000 images, only divided differently
    pool = np.concatenate([mnist5k_seed0[0]["x_train"], mnist5k_seed0[0]["x_test"]]).reshape(5000, -1)
    pool_other = np.concatenate([other["x_train"], other["x_test"]]).reshape(5000, -1)
    assert sorted(map(bytes, pool)) == sorted(map(bytes, pool_other))


# ------------------------------------------------------------------------------------ the real tables


def test_registry_names_and_unknown_dataset_message():
    assert datasets.names() == ["cifar10", "fashion_mnist", "kodak", "mnist", "mnist5k"]
    with pytest.raises(DatasetError, match=r"unknown dataset 'mnits'; allowed: \['cifar10'"):
        datasets.get("mnits")


def test_real_file_tables_pin_a_sha256_and_size_for_every_file():
    expected_names = {
        "mnist": sorted(datasets.IDX_NAMES.values()),
        "fashion_mnist": sorted(datasets.IDX_NAMES.values()),
        "cifar10": ["cifar-10-python.tar.gz"],
        "kodak": [f"kodim{i:02d}.png" for i in range(1, 25)],
        "mnist5k": [],
    }
    all_digests = []
    for name, files in expected_names.items():
        dataset = datasets.get(name)
        assert sorted(f.name for f in dataset.files) == files
        assert dataset.downloadable == bool(files)
        for remote in dataset.files:
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", remote.digest), remote
            assert remote.size_bytes and remote.size_bytes > 0 and remote.digest_source
            assert remote.urls and all(u.startswith(("https://", "http://")) for u in remote.urls)
            assert all(u.endswith("/" + remote.name) for u in remote.urls)
            all_digests.append(remote.digest)
    # Fashion-MNIST and MNIST share file names but not contents
    assert len(set(all_digests)) == len(all_digests) == 4 + 4 + 1 + 24


def test_registered_image_shapes_match_the_loaders():
    assert datasets.get("mnist").image_shape == (28, 28, 1)
    assert datasets.get("fashion_mnist").image_shape == (28, 28, 1)
    assert datasets.get("cifar10").image_shape == (32, 32, 3)
    assert datasets.get("kodak").image_shape == (512, 768, 3)


# ------------------------------------------------------------------------------------ import structure


def _shrinkflow_modules_after(code: str) -> list[str]:
    """The shrinkflow modules a fresh interpreter has loaded after running ``code``."""
    report = "\nimport sys; print(' '.join(sorted(m for m in sys.modules if m.startswith('shrinkflow'))))"
    done = subprocess.run([sys.executable, "-c", code + report], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_fetch_module_imports_no_dataset_module_and_not_the_registry():
    # The package __init__ (the registry, which imports every dataset module) always runs before a submodule,
    # so it is replaced by a bare package object here: what remains is what fetch.py itself pulls in.
    bare_package = (
        "import sys, types, shrinkflow\n"
        "package = types.ModuleType('shrinkflow.datasets')\n"
        "package.__path__ = [shrinkflow.__path__[0] + '/datasets']\n"
        "sys.modules['shrinkflow.datasets'] = package\n"
        "import shrinkflow.datasets.fetch\n"
    )
    loaded = _shrinkflow_modules_after(bare_package)
    assert loaded == [
        "shrinkflow",
        "shrinkflow.datasets",
        "shrinkflow.datasets.errors",
        "shrinkflow.datasets.fetch",
    ]


def test_datasets_do_not_import_the_download_command():
    loaded = _shrinkflow_modules_after("import shrinkflow.datasets")
    assert "shrinkflow.datasets.mnist" in loaded and "shrinkflow.datasets.fetch" in loaded
    assert not [m for m in loaded if m.startswith("shrinkflow.download")]
