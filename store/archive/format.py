"""The backup file: one tar archive holding the database, the attachment store and a manifest.

Layout (format version 1), in this order:
- `database/loket.sqlite` (a SQLite snapshot) or `database/loket.pgdump` (pg_dump, custom);
- `attachments/<aa>/<bb>/<sha256>`: every file of the attachment store, as stored;
- `manifest.json`, written last: format and Loket version, dialect, schema revision, row
  counts, and the size and SHA-256 of every other member.

The manifest comes last, so a truncated file has none and is refused as a whole; every member
is checked against it before anything of the target is touched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import tarfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from store.archive.errors import ArchiveError

FORMAT = "loket-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_DIR = "database"
ATTACHMENTS_DIR = "attachments"
_CHUNK = 1 << 20


@dataclass
class FileEntry:
    """Size and SHA-256 of one member."""

    size: int
    sha256: str


@dataclass
class Manifest:
    """What an archive holds, and the checksums it is verified against."""

    dialect: str
    database_member: str
    schema_revisions: list[str]
    counts: dict[str, int]
    loket_version: str
    created_at: str
    files: dict[str, FileEntry] = field(default_factory=dict)
    missing_attachments: list[str] = field(default_factory=list)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        """The manifest as UTF-8 JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        """Parse a manifest; ArchiveError when it is not one of a version this Loket reads."""
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise ArchiveError("ops.restore.not_an_archive")
            if int(data["format_version"]) > FORMAT_VERSION:
                raise ArchiveError("ops.restore.format_too_new", version=data["format_version"])
            data["files"] = {k: FileEntry(**v) for k, v in data["files"].items()}
            return cls(**data)
        except ArchiveError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ArchiveError("ops.restore.corrupt", problem="manifest.json") from None

    @property
    def attachment_members(self) -> list[str]:
        """Every attachment member's name."""
        return sorted(n for n in self.files if n.startswith(f"{ATTACHMENTS_DIR}/"))


def utc_stamp(now: dt.datetime) -> str:
    """`now` in UTC, ISO 8601 to the second."""
    return now.astimezone(dt.UTC).isoformat(timespec="seconds")


class _HashingReader:
    """Reads a file for tarfile while hashing what it reads."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh, self.digest = fh, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.fh.read(size)
        self.digest.update(chunk)
        return chunk


class ArchiveWriter:
    """Writes members to a temporary file; `commit` adds the manifest and renames it in place.

    Until then nothing exists under the final name: a failed backup leaves no half file.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self.tmp = out.with_name(f".{out.name}.partial")
        self.files: dict[str, FileEntry] = {}
        # Open across calls (add_file, commit/abort close it), so no `with` here.
        # The backup holds personal data: readable by its owner only, from the first byte.
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._file = os.fdopen(fd, "wb")
        self._tar = tarfile.open(fileobj=self._file, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115

    def add_file(self, member: str, path: Path) -> FileEntry:
        """Add the file at `path` as `member`, recording its size and SHA-256."""
        size = path.stat().st_size
        info = tarfile.TarInfo(member)
        info.size, info.mtime, info.mode = size, int(path.stat().st_mtime), 0o600
        with path.open("rb") as fh:
            reader = _HashingReader(fh)
            self._tar.addfile(info, reader)  # type: ignore[arg-type]
        entry = FileEntry(size=size, sha256=reader.digest.hexdigest())
        self.files[member] = entry
        return entry

    def commit(self, manifest: Manifest) -> None:
        """Write `manifest` (with the recorded checksums) last, sync, rename to `out`."""
        manifest.files = dict(self.files)
        raw = manifest.to_json()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(raw), int(dt.datetime.now().timestamp()), 0o600
        self._tar.addfile(info, io.BytesIO(raw))
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.tmp, self.out)

    def abort(self) -> None:
        """Close and delete the temporary file."""
        with contextlib.suppress(OSError, tarfile.TarError):
            self._tar.close()
        self._file.close()
        self.tmp.unlink(missing_ok=True)


def _safe_member(name: str) -> PurePosixPath:
    """`name` as a relative path inside the archive's known folders, or ArchiveError."""
    path = PurePosixPath(name)
    if (
        path.is_absolute()
        or ".." in path.parts
        or not path.parts
        or (name != MANIFEST and path.parts[0] not in (DATABASE_DIR, ATTACHMENTS_DIR))
    ):
        raise ArchiveError("ops.restore.corrupt", problem=name)
    return path


def extract_verified(archive: Path, staging: Path) -> Manifest:
    """Unpack `archive` into `staging` and check every member against the manifest.

    Raises ArchiveError (corrupt, truncated, not a Loket backup) when anything does not match:
    a missing, extra, resized or altered member, or an attachment whose bytes do not hash to
    its name.
    """
    found: dict[str, FileEntry] = {}
    manifest_raw: bytes | None = None
    try:
        with tarfile.open(archive, "r:*") as tar:
            for info in tar:
                path = _safe_member(info.name)
                if (
                    not info.isfile()
                    or info.name in found
                    or (info.name == MANIFEST and manifest_raw is not None)
                ):
                    raise ArchiveError("ops.restore.corrupt", problem=info.name)
                source = tar.extractfile(info)
                assert source is not None
                if info.name == MANIFEST:
                    manifest_raw = source.read()
                    continue
                target = staging.joinpath(*path.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                found[info.name] = _copy_hashing(source, target)
    except ArchiveError:
        raise
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
            raise ArchiveError("ops.restore.unreadable", file=str(archive),
                               problem=exc.strerror or str(exc)) from None  # fmt: skip
        raise ArchiveError("ops.restore.truncated") from None
    if manifest_raw is None:
        raise ArchiveError("ops.restore.truncated")
    manifest = Manifest.from_json(manifest_raw)
    _check_members(manifest, found)
    return manifest


def _copy_hashing(source: IO[bytes], target: Path) -> FileEntry:
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return FileEntry(size=size, sha256=digest.hexdigest())


def _check_members(manifest: Manifest, found: dict[str, FileEntry]) -> None:
    for name in sorted(set(manifest.files) | set(found)):
        if manifest.files.get(name) != found.get(name):
            raise ArchiveError("ops.restore.corrupt", problem=name)
        if (
            name.startswith(f"{ATTACHMENTS_DIR}/")
            and PurePosixPath(name).name != found[name].sha256
        ):
            raise ArchiveError("ops.restore.corrupt", problem=name)
    if manifest.database_member not in found:
        raise ArchiveError("ops.restore.corrupt", problem=manifest.database_member)
