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
from sqlalchemy import event
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
    ReferencePoolNumber,
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
        make_email(
            sender="Fajar <fajar@warga.test>",
            subject="Re: Tanda terima",
            body="Terima kasih, saya tunggu.",
            message_id="<f3@warga.test>",
            in_reply_to=f"<{SENT_BEFORE}>",
        ),  # an answer to our acknowledgement of his first mail: his case
        make_email(
            sender="Fajar <fajar@warga.test>",
            subject="Re: Permohonan informasi",
            body="Tambahan: mohon dalam bentuk salinan elektronik.",
            message_id="<f4@warga.test>",
            references="<f1@warga.test>",
        ),  # his own first mail, and he is its case's contact: his case
        make_email(
            sender="Gita <gita@lain.test>",
            subject="Re: Permohonan informasi",
            body="Saya ikut memohon data yang sama.",
            message_id="<g1@lain.test>",
            references="<f1@warga.test>",
        ),  # Fajar's Message-ID from a stranger: proves nothing, to review
    ]


# The Message-ID our acknowledgement of Fajar's first mail was sent with (stored, as the
# dispatcher stores it, without brackets).
SENT_BEFORE = "ack-f1@pemda.test"


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
        pool = await session.exec(
            select(ReferencePoolNumber.number).order_by(col(ReferencePoolNumber.number))
        )
        found["reference_pool"] = [{"number": number} for number in pool.all()]
    return found


async def sent_as(db: Database, message_id: str) -> None:
    """Mark the one acknowledgement queued so far as sent with `message_id`, as the dispatcher
    does."""
    async with db.transaction() as session:
        (row,) = (await session.exec(select(OutboxMessage))).all()
        row.external_id, row.status = message_id, "sent"
        session.add(row)


def thread_lookups_of(db: Database) -> dict[str, int]:
    """Counts, growing with each statement sent to `db`, of the look-ups of a thread's case by
    Message-ID among our sent mails ("outbox") and the stored ones ("messages")."""
    asked = {"outbox": 0, "messages": 0}

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        for table in asked:
            if statement.lstrip().startswith(f"SELECT {table}.external_id, {table}.case_id"):
                asked[table] += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    return asked


async def test_a_batch_together_stores_what_one_mail_at_a_time_stores(
    core_services: Services, second_url: str
) -> None:
    raws, first = mails(), before()  # once: a MIME boundary is drawn at random
    one_by_one = ingestor_for(core_services)
    (earlier,) = incoming(core_services, [first], first=1)
    await one_by_one.ingest(earlier)
    await sent_as(core_services.db, SENT_BEFORE)
    alone = [await one_by_one.ingest(mail) for mail in incoming(core_services, raws)]
    second = Database.from_url(second_url)
    try:
        other = with_settings(core_services)
        other = Services(settings=other.settings, db=second, clock=core_services.clock,
                         blobs=other.blobs)  # fmt: skip
        together = ingestor_for(other)
        (earlier,) = incoming(other, [first], first=1)
        fajars_case = (await together.ingest(earlier)).case_reference
        await sent_as(second, SENT_BEFORE)
        batch = incoming(other, raws)
        asked = thread_lookups_of(second)
        async with together.batch(batch, apart=False) as opened:
            outcomes = [await together.ingest(mail) for mail in batch]
        assert opened.db.broken is None  # no mail broke it: taken without savepoints
        # Four mails name Message-IDs: the batch asks once for all, and again only for the
        # reply to a mail of the batch itself (<a1@warga.test>), which it wrote meanwhile.
        assert asked == {"outbox": 2, "messages": 2}
        assert outcomes == alone
        assert [o.disposition.value for o in outcomes] == [
            "new_case", "new_case", "new_case", "appended", "new_case", "new_case", "ignored",
            "new_case", "new_case", "new_case", "appended", "appended", "review",
        ]  # fmt: skip
        assert fajars_case is not None
        assert outcomes[-3].case_reference == outcomes[-2].case_reference == fajars_case
        assert outcomes[5].duplicate
        expected, got = await stored(core_services.db), await stored(second)
    finally:
        await second.dispose()
    for table, rows in expected.items():
        assert len(got[table]) == len(rows), table
        for mine, theirs in zip(got[table], rows, strict=True):
            differing = {k: (mine[k], theirs[k]) for k in theirs if mine[k] != theirs[k]}
            assert not differing, (table, theirs.get("id"), differing)
    # Adi's three mails: one requester; Fajar's four: one; Gita (sent to review) one
    assert len(expected["requesters"]) == 7
    assert {c["kind"] for c in expected["contacts"]} == {"email", "phone"}  # Eko's phone
    # Every number once, none skipped: the counter's 1..last but the pool's free ones (on
    # PostgreSQL the cases took theirs from the pool, the batch a block of it at once).
    (counter,) = expected["reference_counters"]
    numbers = sorted(int(case["reference"][-6:]) for case in expected["cases"])
    assert numbers == list(range(1, len(expected["cases"]) + 1))
    free = {row["number"] for row in expected["reference_pool"]}
    assert set(range(1, counter["last"] + 1)) - free == set(numbers)
