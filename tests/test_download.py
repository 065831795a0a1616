"""download.fetch: local copies, cache reuse, verified atomic downloads from a local HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from collections.abc import Iterator

import pytest

from shrinkflow.download import DatasetError, RemoteFile, fetch, parse_digest, verify_file

PAYLOAD = bytes(range(256)) * 40 + b"tail"  # 10,244 bytes: several reads, not a round number
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves /good, /corrupt (wrong bytes), /short (closes after half of Content-Length), /slow, 404."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.requests.append(self.path)
        name = self.path.rsplit("/", 1)[-1]
        if self.path.startswith("/good/"):
            body, length = PAYLOAD, len(PAYLOAD)
        elif self.path.startswith("/corrupt/"):
            body = bytearray(PAYLOAD)
            body[100] ^= 0xFF
            body, length = bytes(body), len(PAYLOAD)
        elif self.path.startswith("/short/"):
            body, length = PAYLOAD[: len(PAYLOAD) // 2], len(PAYLOAD)
        elif self.path.startswith("/slow/"):
            time.sleep(1.5)
            body, length = PAYLOAD, len(PAYLOAD)
        else:
            self.send_error(404, f"no {name}")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[http.server.ThreadingHTTPServer]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _url(server, kind: str, name: str = "blob.bin") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/{kind}/{name}"


def _remote(
    *urls: str, digest: str | None = f"sha256:{SHA256}", size: int | None = len(PAYLOAD)
) -> RemoteFile:
    return RemoteFile("blob.bin", tuple(urls), digest, size, "test")


def test_download_verifies_and_caches_so_a_second_call_does_not_download(server, tmp_path):
    remote = _remote(_url(server, "good"))
    before = len(server.requests)
    path, sha = fetch(remote, cache_dir=tmp_path)
    assert path == tmp_path / "blob.bin" and path.read_bytes() == PAYLOAD and sha == SHA256
    assert len(server.requests) == before + 1
    path2, sha2 = fetch(remote, cache_dir=tmp_path)
    assert (path2, sha2) == (path, sha) and len(server.requests) == before + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blob.bin"]


def test_md5_digests_are_checked_too(server, tmp_path):
    path, sha = fetch(_remote(_url(server, "good"), digest=f"md5:{MD5}"), cache_dir=tmp_path)
    assert sha == SHA256  # the sidecar always gets sha256
    with pytest.raises(DatasetError, match=f"expected md5:{'0' * 32}, actual md5:{MD5}"):
        verify_file(path, _remote(digest=f"md5:{'0' * 32}"))


def test_checksum_mismatch_names_url_and_both_digests_and_leaves_no_file(server, tmp_path):
    url = _url(server, "corrupt")
    corrupt = bytearray(PAYLOAD)
    corrupt[100] ^= 0xFF
    actual = hashlib.sha256(corrupt).hexdigest()
    with pytest.raises(DatasetError) as err:
        fetch(_remote(url), cache_dir=tmp_path)
    message = str(err.value)
    assert "blob.bin" in message and url in message
    assert f"expected sha256:{SHA256}" in message and f"actual sha256:{actual}" in message
    assert list(tmp_path.iterdir()) == []  # not even a temporary .part file


def test_interrupted_download_leaves_no_file(server, tmp_path):
    # no size pinned, so only the server's Content-Length reveals the early close
    with pytest.raises(DatasetError, match=rf"interrupted: got {len(PAYLOAD) // 2} of {len(PAYLOAD)} bytes"):
        fetch(_remote(_url(server, "short"), size=None), cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_http_error_and_timeout_are_reported_per_url(server, tmp_path):
    missing, slow = _url(server, "missing"), _url(server, "slow")
    start = time.perf_counter()
    with pytest.raises(DatasetError) as err:
        fetch(_remote(missing, slow), cache_dir=tmp_path, timeout_s=0.3)
    assert time.perf_counter() - start < 1.4  # gave up on the slow server instead of waiting for it
    message = str(err.value)
    assert f"{missing}: HTTP Error 404" in message and f"{slow}: " in message and "timed out" in message
    assert list(tmp_path.iterdir()) == []


def test_next_mirror_is_tried_after_a_failure(server, tmp_path):
    path, sha = fetch(_remote(_url(server, "corrupt"), _url(server, "good")), cache_dir=tmp_path)
    assert path.read_bytes() == PAYLOAD and sha == SHA256
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blob.bin"]


def test_file_urls_use_the_same_code_path(tmp_path):
    source = tmp_path / "src" / "blob.bin"
    source.parent.mkdir()
    source.write_bytes(PAYLOAD)
    cache = tmp_path / "cache"
    path, sha = fetch(_remote(source.as_uri()), cache_dir=cache)
    assert path == cache / "blob.bin" and sha == SHA256


def test_data_root_is_used_offline_and_checked(server, tmp_path):
    (tmp_path / "blob.bin").write_bytes(PAYLOAD)
    before = len(server.requests)
    path, sha = fetch(_remote(_url(server, "good")), data_root=tmp_path, download=False)
    assert path == tmp_path / "blob.bin" and sha == SHA256 and len(server.requests) == before
    (tmp_path / "blob.bin").write_bytes(PAYLOAD[:-1] + b"X")
    with pytest.raises(DatasetError, match=f"blob.bin: .*checksum mismatch, expected sha256:{SHA256}"):
        fetch(_remote(_url(server, "good"), size=None), data_root=tmp_path, download=True)
    assert (tmp_path / "blob.bin").read_bytes().endswith(b"X")  # a user's file is never replaced
    assert len(server.requests) == before


def test_wrong_size_and_digest_are_both_reported(tmp_path):
    (tmp_path / "blob.bin").write_bytes(PAYLOAD + b"!")
    actual = hashlib.sha256(PAYLOAD + b"!").hexdigest()
    with pytest.raises(DatasetError) as err:
        fetch(_remote(), data_root=tmp_path, download=False)
    assert f"expected {len(PAYLOAD)} bytes, got {len(PAYLOAD) + 1}" in str(err.value)
    assert f"expected sha256:{SHA256}, actual sha256:{actual}" in str(err.value)


def test_subdir_separates_caches_and_is_searched_first_in_data_root(server, tmp_path):
    path, _ = fetch(_remote(_url(server, "good")), cache_dir=tmp_path / "cache", subdir="ds")
    assert path == tmp_path / "cache" / "ds" / "blob.bin"
    root = tmp_path / "root"
    (root / "ds").mkdir(parents=True)
    (root / "ds" / "blob.bin").write_bytes(PAYLOAD)
    (root / "blob.bin").write_bytes(b"another dataset's file of the same name")
    path, _ = fetch(_remote(), data_root=root, download=False, subdir="ds")
    assert path == root / "ds" / "blob.bin"


def test_missing_file_without_download_names_file_and_folders(tmp_path):
    root, cache = tmp_path / "raw", tmp_path / "cache"
    with pytest.raises(DatasetError) as err:
        fetch(_remote("https://example.invalid/blob.bin"), data_root=root, cache_dir=cache, download=False)
    message = str(err.value)
    assert "blob.bin" in message and str(root) in message and str(cache) in message
    assert "downloads are disabled" in message
    assert not cache.exists()


def test_cache_defaults_to_data_root(server, tmp_path):
    path, _ = fetch(_remote(_url(server, "good")), data_root=tmp_path)
    assert path == tmp_path / "blob.bin"


def test_parse_digest_accepts_known_algorithms_only():
    assert parse_digest(f"SHA256:{SHA256.upper()}") == ("sha256", SHA256)
    for bad in ["sha1:" + "0" * 40, SHA256, "sha256:" + "0" * 63, "md5:" + "g" * 32]:
        with pytest.raises(ValueError, match="digest"):
            parse_digest(bad)


def test_remote_file_rejects_paths_and_bare_string_urls():
    with pytest.raises(ValueError, match="bare name"):
        RemoteFile("sub/blob.bin", (), None)
    with pytest.raises(TypeError, match="tuple"):
        RemoteFile("blob.bin", "https://example.invalid/blob.bin", None)


def test_bytes_beyond_the_pinned_size_abort_the_download(server, tmp_path):
    with pytest.raises(DatasetError, match="more than the expected 10 bytes"):
        fetch(_remote(_url(server, "good"), size=10, digest=None), cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_command_line_fetches_a_datasets_files_into_its_folder(server, tmp_path, monkeypatch, capsys):
    from shrinkflow import datasets
    from shrinkflow.download.__main__ import main

    dataset = datasets.get("cifar10").with_files([_remote(_url(server, "good"))])
    monkeypatch.setitem(datasets._REGISTRY, "cifar10", dataset)
    assert main(["cifar10", "mnist5k", "--dest", str(tmp_path), "--timeout-s", "5"]) == 0
    assert (tmp_path / "cifar10" / "blob.bin").read_bytes() == PAYLOAD
    out = capsys.readouterr().out
    assert f"cifar10: {tmp_path / 'cifar10' / 'blob.bin'} sha256:{SHA256}" in out
    assert "mnist5k: nothing to download" in out
    monkeypatch.setitem(datasets._REGISTRY, "cifar10", datasets.get("cifar10").with_files([_remote()]))
    assert main(["cifar10", "--dest", str(tmp_path / "none")]) == 1
    assert "blob.bin: not found in" in (err := capsys.readouterr().err) and "no download URL" in err
    with pytest.raises(SystemExit):
        main(["imagenet"])
