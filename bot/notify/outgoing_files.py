"""Files an outbox row carries, ready to send: stored files (`payload["attachments"]`, SHA-256
digests) and letters rendered from its case (`payload["letters"]`)."""

from __future__ import annotations

from sqlmodel import select

from bot.cases.attachments import FileData
from bot.errors import DomainError
from bot.letters.render import PDF, issue_letter, letter_pdf
from bot.notify.delivery import PermanentFailure
from bot.settings import Settings
from store.blobs import BlobStore
from store.db import Database
from store.models import Attachment, Case, OutboxMessage

DEFAULT_FILENAME = "lampiran"


async def load_outgoing_files(db: Database, blobs: BlobStore, digests: list[str]) -> list[FileData]:
    """The files behind `digests`, in order; PermanentFailure if one is no longer stored."""
    files: list[FileData] = []
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
                FileData(
                    filename=row.filename if row else DEFAULT_FILENAME,
                    content_type=row.content_type if row else "application/octet-stream",
                    data=data,
                )
            )
    return files


async def outgoing_files_of(
    db: Database, blobs: BlobStore, settings: Settings, message: OutboxMessage
) -> list[FileData]:
    """Every file a row carries: its stored attachments, then its letters (`payload["letters"]`,
    kinds of bot.letters) rendered to PDF from its case. PermanentFailure if one cannot be."""
    payload = message.payload or {}
    files = await load_outgoing_files(db, blobs, list(payload.get("attachments") or []))
    kinds = list(payload.get("letters") or [])
    if not kinds:
        return files
    async with db.session() as session:
        case = await session.get(Case, message.case_id) if message.case_id else None
        if case is None:
            raise PermanentFailure("a letter needs the row's case")
        try:
            letters = [await issue_letter(session, case, kind, settings) for kind in kinds]
        except DomainError as exc:
            raise PermanentFailure(f"letter not issued: {exc.key}") from None
    for letter in letters:
        files.append(FileData(letter.filename, PDF, await letter_pdf(letter)))
    return files
