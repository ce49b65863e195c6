"""Files an outbox row carries (`payload["attachments"]`, SHA-256 digests), ready to send."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from bot.delivery import PermanentFailure
from store.blobs import BlobStore
from store.db import Database
from store.models import Attachment

DEFAULT_FILENAME = "lampiran"


@dataclass(frozen=True)
class OutgoingFile:
    """One file to send: its bytes and how it was named when it was stored."""

    filename: str
    content_type: str
    data: bytes


async def load_outgoing_files(
    db: Database, blobs: BlobStore, digests: list[str]
) -> list[OutgoingFile]:
    """The files behind `digests`, in order; PermanentFailure if one is no longer stored."""
    files: list[OutgoingFile] = []
    async with db.session() as session:
        for digest in digests:
            row = (
                await session.exec(select(Attachment).where(Attachment.sha256 == digest))
            ).first()
            try:
                data = blobs.get(digest)
            except FileNotFoundError:
                raise PermanentFailure(f"attachment {digest[:12]} is not stored") from None
            files.append(
                OutgoingFile(
                    filename=row.filename if row else DEFAULT_FILENAME,
                    content_type=row.content_type if row else "application/octet-stream",
                    data=data,
                )
            )
    return files
