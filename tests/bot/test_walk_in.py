"""A citizen registered at the desk (/catat) or with `loket cases new` goes through one path:
a returning citizen keeps one requester record, which gains the contacts given."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select
from typer.testing import CliRunner

from app.cli.main import app
from bot.cases.attachments import FileData
from bot.desk.actions import Desk
from bot.desk.identities import ChannelIdentity
from bot.errors import DomainError
from bot.intake.requesters import add_contact
from bot.services import Services
from store.db import Database
from store.enums import CaseKind, Channel, ContactKind, Role
from store.models import Attachment, Case, Contact, Requester
from tests.support.builders import COMPLETE_REQUEST, make_officer

DESK = ChannelIdentity("telegram", "901")


async def _known_citizen(db: Database) -> int:
    """Siti, who wrote before from WhatsApp: her number is on record, no email."""
    async with db.transaction() as session:
        siti = Requester(name="Siti Aminah")
        session.add(siti)
        await session.flush()
        await add_contact(session, siti, ContactKind.PHONE, "+6281234567890")
        assert siti.id is not None
        return siti.id


async def _records(db: Database) -> tuple[int, list[tuple[int, str, str]], list[int | None]]:
    """How many requesters, every contact (owner, kind, value), every case's requester."""
    async with db.session() as session:
        count = (await session.exec(select(func.count()).select_from(Requester))).one()
        contacts = (await session.exec(select(Contact).order_by(col(Contact.id)))).all()
        cases = (await session.exec(select(Case).order_by(col(Case.id)))).all()
    return (
        int(count),
        [(c.requester_id, c.kind, c.value) for c in contacts],
        [c.requester_id for c in cases],
    )


async def test_a_returning_citizen_registered_at_the_desk_keeps_one_record(
    services: Services,
) -> None:
    await make_officer(services, Role.ADMIN, telegram_user_id=int(DESK.external_id))
    siti = await _known_citizen(services.db)
    # She comes to the desk: her number written as people write it, and an email this time.
    details: dict[str, Any] = {
        **COMPLETE_REQUEST,
        "phone": "0812 3456 7890",
        "email": "Siti@Example.test",
    }
    case = await Desk(services).register(
        DESK, CaseKind.INFORMATION_REQUEST, Channel.BUKU_TAMU, details, []
    )
    assert case.requester_id == siti
    assert await _records(services.db) == (
        1,
        [(siti, "phone", "+6281234567890"), (siti, "email", "siti@example.test")],
        [siti],
    )


async def test_at_the_desk_a_malformed_phone_or_a_file_too_big_writes_nothing(
    services: Services,
) -> None:
    await make_officer(services, Role.ADMIN, telegram_user_id=int(DESK.external_id))
    desk = Desk(services)
    with pytest.raises(DomainError) as bad_phone:
        await desk.register(DESK, CaseKind.INFORMATION_REQUEST, Channel.SURAT,
                            {**COMPLETE_REQUEST, "phone": "12"}, [])  # fmt: skip
    assert bad_phone.value.key == "validation.phone"
    too_big = FileData("scan.pdf", "application/pdf", b"x" * (services.blobs.max_bytes + 1))
    fine = FileData("ktp.jpg", "image/jpeg", b"y" * 10)
    with pytest.raises(DomainError) as refused:
        await desk.register(DESK, CaseKind.INFORMATION_REQUEST, Channel.SURAT,
                            dict(COMPLETE_REQUEST), [fine, too_big])  # fmt: skip
    assert (refused.value.key, refused.value.params["filename"]) == (
        "desk_identity.file_too_large", "scan.pdf"
    )  # fmt: skip
    assert await _records(services.db) == (0, [], [])
    case = await desk.register(DESK, CaseKind.INFORMATION_REQUEST, Channel.SURAT,
                               dict(COMPLETE_REQUEST), [fine])  # fmt: skip
    async with services.db.session() as session:
        (kept,) = (await session.exec(select(Attachment))).all()
    assert (kept.case_id, kept.filename, kept.size) == (case.id, "ktp.jpg", 10)


def test_a_returning_citizen_registered_with_the_cli_keeps_one_record(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    async def with_db(work: Any) -> Any:
        db = Database.from_url(db_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    siti = asyncio.run(with_db(_known_citizen))
    registered = CliRunner().invoke(
        app,
        ["cases", "new", "--kind", "complaint", "--channel", "telepon", "--name", "Siti Aminah",
         "--phone", "0812-3456-7890", "--email", "SITI@example.test",
         "--description", "Lampu jalan di depan pasar mati sejak seminggu"],
        env={"DATABASE_URL": db_url},
    )  # fmt: skip
    assert registered.exit_code == 0, registered.stderr
    assert asyncio.run(with_db(_records)) == (
        1,
        [(siti, "phone", "+6281234567890"), (siti, "email", "siti@example.test")],
        [siti],
    )
