"""Content-addressed attachment storage on disk: a file's name is its SHA-256."""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


def _find_syncfs() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).syncfs  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_syncfs = _find_syncfs()


class BlobTooLarge(ValueError):
    """The file is over the configured size limit and was not stored."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes is over the {limit}-byte limit")
        self.size, self.limit = size, limit


class BlobStore:
    """Stores bytes once per content; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path_for(self, sha256: str) -> Path:
        """Where the bytes with this hash live."""
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes, *, sync: bool = True, sha256: str | None = None) -> str:
        """Store `data` (once) and return its SHA-256; raise BlobTooLarge over the limit.
        With `sync` False the bytes are durable only after the next `sync_all()`. `sha256` is
        the digest of `data` when the caller has it already (trusted: Loket's own hash)."""
        if len(data) > self.max_bytes:
            raise BlobTooLarge(len(data), self.max_bytes)
        digest = sha256 or hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if target.exists():
            return digest
        try:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        except FileNotFoundError:  # the first blob of its folder
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                if sync:
                    os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def sync_all(self) -> None:
        """Make every blob written so far durable, the names too (one syncfs(2) of the store's
        file system on Linux, else one sync(2))."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root, os.O_RDONLY)
        try:
            if _syncfs is None or _syncfs(fd) != 0:
                os.sync()
        finally:
            os.close(fd)

    def get(self, sha256: str) -> bytes:
        """The stored bytes for `sha256` (FileNotFoundError if absent)."""
        return self.path_for(sha256).read_bytes()
