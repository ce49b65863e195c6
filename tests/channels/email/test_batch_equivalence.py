"""A batch taken together (one transaction, no savepoint per mail) stores exactly what the
same mails stored one at a time do: the same mails ingested both ways into two databases give
the same rows, table by table (new requests and complaints, two mails of one new citizen, a
reply to a case opened earlier in the batch, details by reply, an invalid NIK, the same
Message-ID twice, an automatic reply, an attachment, a new citizen giving a phone number and a
second address, a citizen known before the batch). Together, the core writes set-wise
(bot/cases/together.py: references counted in memory, rows waiting for one INSERT a table):
the reference counters are compared too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import SQLModel, col, select

from bot.services import Services
from channels.email.imap import FetchedMail
from channels.email.mailboxes import env_mailbox
from channels.email.message import IncomingMail, MailLocation
from channels.email.poller import build_incoming
from channels.email.runner import ingestor_for
from store.db import Database
from store.models import (
    Attachment,
    Case,
    Contact,
    Event,
    MailRecord,
    Message,
    OutboxMessage,
    ReferenceCounter,
    Requester,
)
from tests.channels.email.conftest import with_settings
from tests.conftest import fresh_database_url
from tests.support.emails import make_email

TABLES: tuple[type[SQLModel], ...] = (
    Requester, Contact, Case, Event, Message, Attachment, OutboxMessage, MailRecord
)  # fmt: skip
ADI = "Adi Wijaya <adi@warga.test>"
# Columns stamped by the wall clock (a model default), not by the injected clock.
WALL_CLOCK = {t: ("created_at",) for t in ("requesters", "contacts", "attachments")}


def mails() -> list[bytes]:
    """One batch of the kinds of mail a backlog holds."""
    return [
        make_email(sender=ADI, message_id="<a1@warga.test>"),
        make_email(
            sender="Budi <budi@warga.test>",
            subject="Pengaduan: jalan rusak",
            body="Jalan di depan kantor desa rusak berat sejak bulan lalu.",
            message_id="<b1@warga.test>",
        ),
        make_email(
            sender=ADI,
            subject="Permohonan lain",
            message_id="<a2@warga.test>",
            body="Saya juga memohon daftar penerima bantuan sosial 2025.",
        ),
        make_email(
            sender=ADI,
            subject="Re: Permohonan",
            message_id="<a3@warga.test>",
            references="<a1@warga.test>",
            body="Tujuan: penelitian\nAlamat: Jl. Merdeka No. 1, Bandung",
        ),
        make_email(
            sender="Citra <citra@warga.test>",
            message_id="<c1@warga.test>",
            body="Nama: Citra\nNIK: 123\nMohon data anggaran.",
        ),
        make_email(
            sender="Budi <budi@warga.test>",
            subject="Pengaduan: jalan rusak",
            body="Jalan di depan kantor desa rusak berat sejak bulan lalu.",
            message_id="<b1@warga.test>",
        ),  # the same mail again, at another UID
        make_email(
            sender="Mailer <noreply@dinas.test>",
            subject="Balasan otomatis",
            body="Pesan ini dikirim otomatis.",
            message_id="<auto@dinas.test>",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        make_email(
            sender="Dewi <dewi@warga.test>",
            message_id="<d1@warga.test>",
            attachments=[("ktp.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 40)],
        ),
        make_email(
            sender="Eko <eko@warga.test>",
            message_id="<e1@warga.test>",
            body="Nama: Eko\nTelepon: 0812-3456-7890\nEmail: eko.kantor@warga.test\n"
            "Alamat: Jl. Asia Afrika No. 8, Bandung\nTujuan: penelitian\nMohon data anggaran.",
        ),
        make_email(
            sender="Fajar <fajar@warga.test>",
            subject="Pengaduan: lampu jalan",
            body="Lampu jalan di gang kami padam sejak dua minggu yang lalu.",
            message_id="<f2@warga.test>",
        ),  # Fajar wrote before the batch (see `before`)
    ]


def before() -> bytes:
    """A mail taken before the batch: its citizen is known when the batch comes."""
    return make_email(sender="Fajar <fajar@warga.test>", message_id="<f1@warga.test>")


@pytest.fixture
def second_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A second fresh, migrated database on the test's backend."""
    return fresh_database_url(backend, request, tmp_path, "second")


def incoming(services: Services, raws: list[bytes], first: int = 2) -> list[IncomingMail]:
    """The batch's mails as the poller hands them over, at UIDs `first`, `first` + 1, ..."""
    config = env_mailbox(services.settings)
    assert config is not None
    now = services.clock.now()
    return [
        build_incoming(FetchedMail(uid, raw, None), MailLocation(config.name, 7, uid), config, now)
        for uid, raw in enumerate(raws, start=first)
    ]


async def stored(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables intake writes, in id order."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with db.session() as session:
        for model in TABLES:
            rows = (await session.exec(select(model).order_by(col(model.id)))).all()  # type: ignore[attr-defined]
            table = model.__tablename__  # type: ignore[attr-defined]
            found[table] = [row.model_dump(exclude=set(WALL_CLOCK.get(table, ()))) for row in rows]
        counters = await session.exec(
            select(ReferenceCounter).order_by(col(ReferenceCounter.prefix))
        )
        found["reference_counters"] = [row.model_dump() for row in counters.all()]
    return found


async def test_a_batch_together_stores_what_one_mail_at_a_time_stores(
    core_services: Services, second_url: str
) -> None:
    raws, first = mails(), before()  # once: a MIME boundary is drawn at random
    one_by_one = ingestor_for(core_services)
    (earlier,) = incoming(core_services, [first], first=1)
    await one_by_one.ingest(earlier)
    alone = [await one_by_one.ingest(mail) for mail in incoming(core_services, raws)]
    second = Database.from_url(second_url)
    try:
        other = with_settings(core_services)
        other = Services(settings=other.settings, db=second, clock=core_services.clock,
                         blobs=other.blobs)  # fmt: skip
        together = ingestor_for(other)
        (earlier,) = incoming(other, [first], first=1)
        await together.ingest(earlier)
        batch = incoming(other, raws)
        async with together.batch(batch, apart=False) as opened:
            outcomes = [await together.ingest(mail) for mail in batch]
        assert opened.db.broken is None  # no mail broke it: taken without savepoints
        assert outcomes == alone
        assert [o.disposition.value for o in outcomes] == [
            "new_case", "new_case", "new_case", "appended", "new_case", "new_case", "ignored",
            "new_case", "new_case", "new_case",
        ]  # fmt: skip
        assert outcomes[5].duplicate
        expected, got = await stored(core_services.db), await stored(second)
    finally:
        await second.dispose()
    for table, rows in expected.items():
        assert len(got[table]) == len(rows), table
        for mine, theirs in zip(got[table], rows, strict=True):
            differing = {k: (mine[k], theirs[k]) for k in theirs if mine[k] != theirs[k]}
            assert not differing, (table, theirs.get("id"), differing)
    assert len(expected["requesters"]) == 6  # Adi's three mails: one requester; Fajar's two
    assert {c["kind"] for c in expected["contacts"]} == {"email", "phone"}  # Eko's phone
    (counter,) = expected["reference_counters"]  # written back once, after the last number
    assert counter["last"] == len(expected["cases"])
