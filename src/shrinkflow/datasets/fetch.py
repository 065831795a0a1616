"""Fetch raw dataset files: use a local copy if there is one, else download; always verify the checksum.

A :class:`RemoteFile` is one row of a dataset's file table: its canonical name, the URLs it can be fetched
from (tried in order), a pinned digest (``"sha256:<hex>"`` or ``"md5:<hex>"``) and, where published, its
size in bytes. :func:`fetch` resolves one row to a verified local path:

1. ``data_root/<subdir>/<name>`` or ``data_root/<name>`` if ``data_root`` is given and holds the file
   (offline clusters);
2. ``cache_dir/<subdir>/<name>`` if an earlier run downloaded it;
3. otherwise, if ``download`` is true, each URL in turn: the bytes stream into a temporary file in
   ``cache_dir/<subdir>`` while being hashed, and only a complete file with the right size and digest is
   moved onto ``cache_dir/<subdir>/<name>`` with ``os.replace``. Any failure deletes the temporary file.

``subdir`` is the dataset's name: MNIST and Fashion-MNIST publish files under the same names, so each
dataset keeps its own cache folder.

A checksum mismatch, a failed download or a missing file raises :class:`DatasetError` naming the file, the
URL or folder, and for mismatches the expected and the actual digest. A file found locally that does not
match is never deleted or replaced: the error tells the user to remove it.

This module knows files, not datasets: it imports no dataset module and not the registry, so the
dataset modules can use it and ``python -m shrinkflow.download`` (which needs the registry) can sit on
top of both without an import cycle. :mod:`shrinkflow.download` re-exports it under its old name.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import DatasetError

log = logging.getLogger(__name__)

DIGEST_ALGORITHMS = {"sha256": 64, "md5": 32}  # algorithm -> hex length
DEFAULT_CACHE_DIR = Path("results/downloads")
DEFAULT_TIMEOUT_S = 60.0
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class RemoteFile:
    """One raw file of a dataset: where to get it and what it must hash to.

    ``digest`` is ``"sha256:<hex>"`` or ``"md5:<hex>"`` (md5 only where no sha256 is published) or None
    where no published digest exists (then only ``size_bytes`` and the format checks of the loader
    guard the content). ``digest_source`` says where the pinned values were published.
    """

    name: str
    urls: tuple[str, ...]
    digest: str | None
    size_bytes: int | None = None
    digest_source: str = ""

    def __post_init__(self) -> None:
        if not self.name or Path(self.name).name != self.name:
            raise ValueError(f"file name must be a bare name without folders, got {self.name!r}")
        if self.digest is not None:
            parse_digest(self.digest)
        if isinstance(self.urls, str):
            raise TypeError(f"{self.name}: urls must be a tuple of strings, not one string")


def parse_digest(digest: str) -> tuple[str, str]:
    """Split ``"sha256:<hex>"`` into (algorithm, lower-case hex), validating both parts."""
    algorithm, sep, hexdigest = digest.partition(":")
    algorithm, hexdigest = algorithm.strip().lower(), hexdigest.strip().lower()
    if not sep or algorithm not in DIGEST_ALGORITHMS:
        raise ValueError(f"digest {digest!r} must look like 'sha256:<hex>' or 'md5:<hex>'")
    if len(hexdigest) != DIGEST_ALGORITHMS[algorithm] or any(c not in "0123456789abcdef" for c in hexdigest):
        raise ValueError(
            f"digest {digest!r}: expected {DIGEST_ALGORITHMS[algorithm]} hex digits for {algorithm}"
        )
    return algorithm, hexdigest


class _Hashes:
    """sha256 (always: it goes into the sidecar) plus the pinned algorithm, fed in one pass."""

    def __init__(self, algorithm: str | None) -> None:
        self.sha256 = hashlib.sha256()
        self.pinned = hashlib.new(algorithm) if algorithm and algorithm != "sha256" else self.sha256
        self.nbytes = 0

    def update(self, chunk: bytes) -> None:
        self.sha256.update(chunk)
        if self.pinned is not self.sha256:
            self.pinned.update(chunk)
        self.nbytes += len(chunk)


def _hash_file(path: Path, algorithm: str | None) -> _Hashes:
    hashes = _Hashes(algorithm)
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            hashes.update(chunk)
    return hashes


def _check(remote: RemoteFile, hashes: _Hashes, where: str) -> str | None:
    """The reasons ``hashes`` do not match ``remote``'s pinned size/digest, or None if they match."""
    problems = []
    if remote.size_bytes is not None and hashes.nbytes != remote.size_bytes:
        problems.append(f"expected {remote.size_bytes} bytes, got {hashes.nbytes}")
    if remote.digest is not None:
        algorithm, expected = parse_digest(remote.digest)
        actual = hashes.pinned.hexdigest()
        if actual != expected:
            problems.append(
                f"checksum mismatch, expected {algorithm}:{expected}, actual {algorithm}:{actual}"
            )
    return f"{where}: {'; '.join(problems)}" if problems else None


def verify_file(path: str | os.PathLike, remote: RemoteFile) -> str:
    """Check a local file against ``remote``'s size and digest; return its sha256 hex digest."""
    path = Path(path)
    algorithm = parse_digest(remote.digest)[0] if remote.digest else None
    hashes = _hash_file(path, algorithm)
    problem = _check(remote, hashes, str(path))
    if problem:
        raise DatasetError(
            f"{remote.name}: {problem}. The file is not the published {remote.name}; "
            f"delete it (or put the right file there) and run again"
        )
    return hashes.sha256.hexdigest()


def _download_one(url: str, remote: RemoteFile, target: Path, timeout_s: float) -> str:
    """Stream ``url`` into a temp file beside ``target``, verify, move into place; return sha256 hex."""
    algorithm = parse_digest(remote.digest)[0] if remote.digest else None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{remote.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        hashes = _Hashes(algorithm)
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout_s) as response:
            announced = response.headers.get("Content-Length") if hasattr(response, "headers") else None
            announced = int(announced) if announced and announced.isdigit() else None
            limit = remote.size_bytes
            while chunk := response.read(CHUNK_BYTES):
                hashes.update(chunk)
                if limit is not None and hashes.nbytes > limit:
                    raise DatasetError(f"server sent more than the expected {limit} bytes")
                out.write(chunk)
        # urllib does not raise when a server closes the connection before Content-Length bytes arrived
        if announced is not None and hashes.nbytes != announced:
            raise DatasetError(
                f"download interrupted: got {hashes.nbytes} of {announced} bytes announced by the server"
            )
        problem = _check(remote, hashes, "downloaded file")
        if problem:
            raise DatasetError(problem)
        os.replace(tmp, target)
        return hashes.sha256.hexdigest()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def fetch(
    remote: RemoteFile,
    *,
    data_root: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    download: bool = True,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    subdir: str = "",
) -> tuple[Path, str]:
    """Resolve ``remote`` to a verified local file; return (path, sha256 hex digest).

    ``cache_dir`` defaults to ``data_root`` if given, else ``results/downloads``; downloads land in
    ``cache_dir/subdir``. ``timeout_s`` bounds every blocking socket operation of a download (connect and
    each read). The first existing candidate is used and must verify: a wrong file is an error, not
    something to skip silently.
    """
    data_root = Path(data_root) if data_root else None
    cache = (Path(cache_dir) if cache_dir else (data_root or DEFAULT_CACHE_DIR)) / subdir
    searched = _unique([data_root / subdir if data_root else None, data_root, cache])
    for folder in searched:
        candidate = folder / remote.name
        if candidate.is_file():
            try:
                return candidate, verify_file(candidate, remote)
            except DatasetError as err:
                if subdir and data_root and folder == data_root:
                    raise DatasetError(
                        f"{err} (datasets that share file names, like mnist and fashion_mnist, "
                        f"are kept apart in {data_root / subdir})"
                    ) from None
                raise

    folders = ", ".join(str(f) for f in searched)
    if not download:
        raise DatasetError(
            f"{remote.name}: not found in {folders} and downloads are disabled; put the file there "
            f"(from {remote.urls[0] if remote.urls else 'its publisher'}) or enable downloads"
        )
    if not remote.urls:
        raise DatasetError(f"{remote.name}: not found in {folders} and no download URL is known")

    cache.mkdir(parents=True, exist_ok=True)
    target = cache / remote.name
    failures = []
    for url in remote.urls:
        log.info("downloading %s -> %s", url, target)
        try:
            return target, _download_one(url, remote, target, timeout_s)
        except (DatasetError, OSError, ValueError, http.client.HTTPException) as err:
            failures.append(f"{url}: {_describe(err)}")
            log.warning("download of %s failed: %s", url, failures[-1])
    raise DatasetError(
        f"{remote.name}: download failed from every URL (no file was written to {cache}):\n  "
        + "\n  ".join(failures)
    )


def _describe(err: BaseException) -> str:
    if isinstance(err, DatasetError | urllib.error.HTTPError):
        return str(err)
    if isinstance(err, urllib.error.URLError):
        return f"cannot connect ({err.reason})"
    if isinstance(err, TimeoutError):
        return f"timed out ({err})"
    return f"{type(err).__name__}: {err}"


def _unique(folders: Iterable[Path | None]) -> list[Path]:
    out: list[Path] = []
    for folder in folders:
        if folder is not None and folder not in out:
            out.append(folder)
    return out
