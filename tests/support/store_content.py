"""A realistic store to back up (cases, messages, events, outbox, attachments), a writer that
keeps adding to it, and a snapshot of its rows and files to compare two stores by."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.cases.attachments import FileData, store_files
from bot.intake.door import InboundMessage
from bot.services import Services
from sandbox.examples.registry import load_example
from store.blobs import BlobStore
from store.db import Database
from store.enums import CaseKind, Channel
from tests.support.builders import COMPLETE_REQUEST, make_case

# The tables a citizen's words and files live in: every row of them must come back.
CORE_TABLES = ("cases", "messages", "attachments", "events", "outbox")
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
PHOTO = b"\x89PNG\r\n\x1a\n" + hashlib.sha256(b"foto jalan rusak").digest() * 300


def _citizen_message(n: int, now: dt.datetime, blobs: BlobStore, *, files: bool) -> InboundMessage:
    attachments = (
        (
            FileData(f"ktp-{n}.pdf", "application/pdf", PDF + str(n).encode()),
            FileData("jalan.png", "image/png", PHOTO),  # the same photo every time
        )
        if files
        else ()
    )
    return InboundMessage(
        channel=Channel.TELEGRAM if n % 2 else Channel.EMAIL,
        external_id=f"citizen-{n}",
        sender=str(8000 + n) if n % 2 else f"warga{n}@warga.test",
        sender_name=f"Warga {n}",
        text=f"Mohon salinan laporan anggaran nomor {n}",
        received_at=now,
        new_case_kind=CaseKind.INFORMATION_REQUEST,
        fields={**COMPLETE_REQUEST, "name": f"Warga {n}", "phone": f"0812 7000 {n:04d}"},
        attachments=store_files(blobs, attachments)[0],  # as a channel hands them over
    )


async def fill_store(services: Services, citizens: int = 12) -> None:
    """Seed example 004 (complaints through their workflow) plus `citizens` requests from
    Telegram and email with files (acknowledgements queued in the outbox), a follow-up
    message on each, and one desk case."""
    now = services.clock.now()
    await load_example(services.db, services.settings, "seed-004", now)
    for n in range(citizens):
        result = await services.intake.handle_inbound(
            _citizen_message(n, now, services.blobs, files=True)
        )
        follow_up = InboundMessage(
            channel=Channel.TELEGRAM if n % 2 else Channel.EMAIL,
            external_id=f"citizen-{n}-more",
            sender=str(8000 + n) if n % 2 else f"warga{n}@warga.test",
            text="Tambahan: untuk tahun 2024 juga",
            received_at=now,
            case_reference=result.case_reference,
            attachments=store_files(
                services.blobs, [FileData("tambahan.txt", "text/plain", b"lampiran %d" % n)]
            )[0],
        )
        await services.intake.handle_inbound(follow_up)
    await make_case(services, kind=CaseKind.COMPLAINT)


async def keep_writing(services: Services, stop: asyncio.Event, first: int = 1000) -> int:
    """New citizens' requests (with files) one after another until `stop`; return how many."""
    n = first
    while not stop.is_set():
        await services.intake.handle_inbound(
            _citizen_message(n, services.clock.now(), services.blobs, files=n % 3 == 0)
        )
        n += 1
        await asyncio.sleep(0)
    return n - first


@dataclass
class StoreImage:
    """Every row of the core tables (by id) and the bytes of every attachment row."""

    rows: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    files: dict[int, bytes] = field(default_factory=dict)


async def image_of(db: Database, blobs_root: Path) -> StoreImage:
    """Read the core tables and the attachments' bytes of one store."""
    image = StoreImage()
    blobs = BlobStore(blobs_root, 1 << 30)
    async with db.engine.connect() as conn:
        for table in CORE_TABLES:
            result = await conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            image.rows[table] = {row["id"]: dict(row) for row in result.mappings()}
    for att_id, att in image.rows["attachments"].items():
        image.files[att_id] = await asyncio.to_thread(blobs.get, att["sha256"])
    return image
