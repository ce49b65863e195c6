"""Mail through a real Dovecot: the whole corpus ingested once, duplicates, UIDVALIDITY
changes, moving processed mail, more mailboxes, and the IDLE loop of `loket run`."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from bot.services import Services
from channels.email.ingest import IngestOutcome
from channels.email.mailboxes import add_mailbox
from channels.email.message import IncomingMail
from channels.email.poller import MailboxWatcher, describe
from channels.email.runner import EmailRunner, ingestor_for, watchers
from store.enums import CaseKind
from store.models import Case, MailRecord, OutboxMessage
from tests.support.builders import make_unit
from tests.support.dovecot import DovecotServer
from tests.support.emails import INDONESIAN_REQUESTS, corpus_expectations, corpus_files, make_email

TABLES = ("mail_records", "cases", "messages", "attachments", "outbox", "events", "requesters",
          "contacts", "reference_counters")  # fmt: skip


async def snapshot(services: Services) -> dict[str, int]:
    """Row counts of every table ingestion writes to."""
    async with services.db.session() as session:
        return {
            t: (await session.exec(text(f"SELECT COUNT(*) FROM {t}"))).one()[0]  # type: ignore[call-overload]
            for t in TABLES
        }


async def records(services: Services) -> list[MailRecord]:
    """Every mail record, by id."""
    async with services.db.session() as session:
        return list((await session.exec(select(MailRecord).order_by(col(MailRecord.id)))).all())


async def test_the_whole_corpus_is_ingested_exactly_once(
    mail_services: Services, watcher: MailboxWatcher, dovecot: DovecotServer, folder: str
) -> None:
    expected = corpus_expectations()
    uid_of = {p.name: dovecot.append(folder, p.read_bytes()) for p in corpus_files()}
    for raw in INDONESIAN_REQUESTS.values():
        dovecot.append(folder, raw)
    summary = await watcher.poll_now()
    assert summary.fetched == len(uid_of) + len(INDONESIAN_REQUESTS) and not summary.duplicates

    found = {r.uid: r for r in await records(mail_services)}
    assert len(found) == summary.fetched
    for name, uid in uid_of.items():
        assert found[uid].classification == expected[name], name
    async with mail_services.db.session() as session:
        cases = (await session.exec(select(Case))).all()
        outbox = (await session.exec(select(OutboxMessage))).all()
    human_cases = {r.case_id for r in found.values() if r.disposition == "new_case"}
    assert {c.id for c in cases} == human_cases
    assert all(found[u].classification == "human" for u in found if found[u].case_id)
    machines = {
        r.sender.lower() for r in found.values() if r.classification != "human" and r.sender
    }
    assert machines and not machines & {o.recipient for o in outbox}
    assert len(outbox) == len(cases)  # one acknowledgement per new case, nothing else
    assert all("\\Seen" in flags for flags in dovecot.flags(folder).values())

    before = await snapshot(mail_services)
    again = await watcher.poll_now()
    assert (again.fetched, again.counts) == (0, {})
    assert await snapshot(mail_services) == before


async def test_same_message_id_delivered_twice(
    mail_services: Services, watcher: MailboxWatcher, dovecot: DovecotServer, folder: str
) -> None:
    dovecot.append(folder, make_email())
    dovecot.append(folder, make_email())
    summary = await watcher.poll_now()
    assert (summary.counts, summary.duplicates) == ({"new_case": 1}, 1)
    assert len(await records(mail_services)) == 1
    assert all("\\Seen" in flags for flags in dovecot.flags(folder).values())
    before = await snapshot(mail_services)
    await watcher.poll_now()
    assert await snapshot(mail_services) == before


async def test_uidvalidity_change_is_handled(
    mail_services: Services, watcher: MailboxWatcher, dovecot: DovecotServer, folder: str
) -> None:
    old = [make_email(message_id=f"<v{i}@w>", subject=f"Permohonan {i}") for i in range(2)]
    for raw in old:
        dovecot.append(folder, raw)
    await watcher.poll_now()
    (first, _) = await records(mail_services)
    before = await snapshot(mail_services)

    dovecot.renew(folder)  # e.g. the mail server was migrated: every UID is new
    for raw in [*old, make_email(message_id="<v9@w>", subject="Permohonan baru")]:
        dovecot.append(folder, raw)
    summary = await watcher.poll_now()
    assert (summary.counts, summary.duplicates) == ({"new_case": 1}, 2)
    after = await records(mail_services)
    assert len({r.uidvalidity for r in after}) == 1 and after[0].uidvalidity != first.uidvalidity
    assert (await snapshot(mail_services))["cases"] == before["cases"] + 1
    assert (await watcher.poll_now()).fetched == 0


async def test_a_mail_the_core_cannot_take_does_not_block_the_others(
    mail_services: Services,
    watcher: MailboxWatcher,
    dovecot: DovecotServer,
    folder: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    poison = dovecot.append(folder, make_email(message_id="<poison@w>", subject="Racun"))
    dovecot.append(folder, make_email(message_id="<fine@w>", sender="Ani <ani@warga.test>"))
    ingest = watcher.ingestor.ingest

    async def failing(mail: IncomingMail) -> IngestOutcome:
        if mail.message_id == "poison@w":
            raise ValueError("a bug")
        return await ingest(mail)

    monkeypatch.setattr(watcher.ingestor, "ingest", failing)
    summary = await watcher.poll_now()
    assert (summary.counts, summary.failed) == ({"new_case": 1}, 1)
    assert "\\Seen" not in dovecot.flags(folder)[poison]  # left for the next pass
    monkeypatch.setattr(watcher.ingestor, "ingest", ingest)
    assert (await watcher.poll_now()).counts == {"new_case": 1}
    assert "\\Seen" in dovecot.flags(folder)[poison]


async def test_processed_mail_can_be_moved_to_a_folder(
    mail_services: Services, dovecot: DovecotServer, folder: str
) -> None:
    done = f"{folder}-selesai"
    watcher = MailboxWatcher(
        dataclasses.replace((await watchers(mail_services))[0].config, processed_folder=done),
        ingestor_for(mail_services), mail_services.settings, mail_services.clock,
    )  # fmt: skip
    dovecot.append(folder, make_email(message_id="<m1@w>"))
    dovecot.append(folder, make_email(message_id="<m2@w>", sender="Ani <ani@warga.test>"))
    assert (await watcher.poll_now()).counts == {"new_case": 2}
    assert (dovecot.count(folder), dovecot.count(done)) == (0, 2)
    assert (await watcher.poll_now()).fetched == 0


async def test_added_mailbox_opens_its_own_kind_for_its_unit(
    mail_services: Services, dovecot: DovecotServer
) -> None:
    unit = await make_unit(mail_services, "dishub")
    complaints = dovecot.new_folder("pengaduan")
    async with mail_services.db.transaction() as session:
        await add_mailbox(session, name="Pengaduan", folder=complaints, kind=CaseKind.COMPLAINT,
                          unit_id=unit.id)  # fmt: skip
    env, added = await watchers(mail_services)
    assert (env.config.name, added.config.name) == ("env", "pengaduan")
    dovecot.append(complaints, make_email(subject="Lampu jalan mati", message_id="<c1@w>"))
    assert (await added.poll_now()).counts == {"new_case": 1}
    async with mail_services.db.session() as session:
        (case,) = (await session.exec(select(Case))).all()
    assert (case.kind, case.unit_id, case.reference[:3]) == ("complaint", unit.id, "ADU")


async def test_runner_takes_mail_as_it_arrives(
    mail_services: Services, dovecot: DovecotServer, folder: str
) -> None:
    async with mail_services.db.transaction() as session:  # a broken mailbox next to it
        await add_mailbox(session, name="rusak", folder="Tidak Ada", kind=CaseKind.COMPLAINT)
    runner = EmailRunner(mail_services)
    await runner.start()
    try:
        await asyncio.sleep(0.3)  # connected and idling
        await asyncio.to_thread(dovecot.append, folder, make_email())
        for _ in range(100):
            if await records(mail_services):
                break
            await asyncio.sleep(0.1)
    finally:
        await runner.stop()
    (record,) = await records(mail_services)
    assert record.disposition == "new_case"


def test_errors_are_logged_without_mail_content() -> None:
    exc = ValueError("(DataError) too long: siti@warga.test\n[parameters: ('Siti', 'NIK ...')]")
    assert describe(exc) == "ValueError: (DataError) too long: s***@warga.test"
