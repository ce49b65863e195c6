"""Files on cases: the one file type every channel hands over or sends (`FileData`, a value of
bot/cases/file_data.py, also importable from here), and the one way a file is kept (its bytes
in the blob store, once per content; a row naming it on the case/message).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.file_data import FileData as FileData  # re-exported: callers import it here
from bot.cases.together import write_later
from bot.errors import DomainError
from store.blobs import BlobStore, BlobTooLarge
from store.models import Attachment

# The name a file gets when it came without one.
DEFAULT_FILENAME = "lampiran"
MAX_FILENAME = 255


@dataclass(frozen=True)
class StoredFile:
    """A file whose bytes are already in the blob store (under `sha256`), not yet on a case."""

    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Attached:
    """What `attach_files` kept: the digests of the files stored, in order, and the names of
    those refused for being over the size limit."""

    digests: tuple[str, ...]
    rejected: tuple[str, ...]


def store_files(
    blobs: BlobStore, files: Iterable[FileData]
) -> tuple[tuple[StoredFile, ...], tuple[str, ...]]:
    """Put each file in the blob store (content-addressed: twice is harmless), as a channel does
    before it hands a message to intake; return the stored ones and the names of those over
    ATTACHMENT_MAX_BYTES, which are not kept."""
    stored: list[StoredFile] = []
    rejected: list[str] = []
    for item in files:
        try:
            digest = blobs.put(item.data, sha256=item.sha256)
        except BlobTooLarge:
            rejected.append(item.filename)
            continue
        name = item.filename[:MAX_FILENAME] or DEFAULT_FILENAME
        stored.append(StoredFile(name, item.content_type, len(item.data), digest))
    return tuple(stored), tuple(rejected)


def attach_files(
    session: AsyncSession,
    blobs: BlobStore | None,
    files: Iterable[FileData | StoredFile],
    *,
    case_id: int | None,
    message_id: int | None = None,
    at: dt.datetime | None = None,
) -> Attached:
    """Keep `files` on the case (and message): the bytes of a FileData go to `blobs` first
    (a file over the size limit is left out and named in `rejected`; the caller says so), a
    StoredFile is already there. One Attachment row per file kept, added to the session (in a
    transaction taken together, written with the other rows of its table: bot.cases.together)."""
    digests: list[str] = []
    rejected: list[str] = []
    for item in files:
        if isinstance(item, FileData):
            if blobs is None:
                raise ValueError("a file's bytes need the blob store")
            kept, refused = store_files(blobs, [item])
            rejected.extend(refused)
            if not kept:
                continue
            item = kept[0]
        row = Attachment(
            message_id=message_id,
            case_id=case_id,
            filename=item.filename[:MAX_FILENAME] or DEFAULT_FILENAME,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
        )
        if at is not None:
            row.created_at = at
        write_later(session, row)  # nobody reads its id in the transaction
        digests.append(item.sha256)
    return Attached(tuple(digests), tuple(rejected))


def attach_every_file(
    session: AsyncSession,
    blobs: BlobStore,
    files: Iterable[FileData | StoredFile],
    *,
    case_id: int | None,
    message_id: int | None = None,
) -> tuple[str, ...]:
    """`attach_files` for what an officer sends or registers: kept whole or refused whole
    (DomainError naming the file over the limit; the caller's transaction rolls back), since
    they are there to send a smaller one. Returns the digests."""
    kept = attach_files(session, blobs, files, case_id=case_id, message_id=message_id)
    if kept.rejected:
        limit_mb = blobs.max_bytes // (1024 * 1024)
        name = kept.rejected[0]
        raise DomainError("desk_identity.file_too_large", filename=name, limit_mb=limit_mb)
    return kept.digests
