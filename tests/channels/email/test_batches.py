"""A backlog taken in batches: one UID FETCH and one STORE per batch, mails read on several
workers at once (a hostile one fails alone), one transaction per batch, tried without a
savepoint per mail and run again with them when a mail the core cannot take breaks it (that
mail's savepoint alone rolled back), and the blobs synced before the commit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import col, select

import bot.intake.door as door
import channels.email.imap as imap_module
import channels.email.poller as poller
from bot.services import Services
from channels.email.imap import ImapSession, uid_set
from channels.email.ingest import MailIngestor
from channels.email.message import MailLocation
from channels.email.poller import BATCH_MAILS, MailboxWatcher, batches
from channels.email.runner import ingestor_for
from channels.email.worker import WORKER_DIED, MailReaderPool
from store.blobs import BlobStore
from store.models import Case, MailRecord, Message
from tests.support.dovecot import DovecotServer
from tests.support.emails import make_email
from tests.support.hostile_readers import DIE, hostile_reader


def request(n: int, **changes: Any) -> bytes:
    """Request number `n` from a citizen of its own."""
    values = {"sender": f"Warga {n} <warga{n}@warga.test>", "subject": f"Permohonan {n}",
              "message_id": f"<batch-{n}@warga.test>"} | changes  # fmt: skip
    return make_email(**values)


def test_uid_sets_and_batches_are_cut_by_count_and_bytes() -> None:
    assert uid_set([9, 1, 2, 3, 5, 7, 8]) == "1:3,5,7:9"
    assert uid_set([4]) == "4"
    uids = list(range(1, BATCH_MAILS + 3))
    assert [len(b) for b in batches(uids, dict.fromkeys(uids, 10))] == [BATCH_MAILS, 2]
    huge = 40 * 1024 * 1024  # over BATCH_BYTES: a batch of its own
    assert batches([1, 2, 3, 4], {1: 10, 2: huge, 3: 10}) == [[1], [2], [3]]  # 4 has gone


async def test_fetch_many_and_mark_a_set_in_one_command_each(
    mail_services: Services, dovecot: DovecotServer, folder: str, watcher: MailboxWatcher
) -> None:
    uids = [dovecot.append(folder, request(n)) for n in range(5)]
    imap: ImapSession = await watcher.connect()
    try:
        fetched = await imap.fetch_many([*uids, max(uids) + 50])
        assert sorted(fetched) == uids
        assert all(f"batch-{i}@warga.test".encode() in fetched[u].raw for i, u in enumerate(uids))
        assert all(f.internaldate is not None for f in fetched.values())
        assert sorted(await imap.sizes([*uids, max(uids) + 50])) == uids
        assert dovecot.flags(folder)[uids[0]] == ""  # BODY.PEEK: nothing flagged
        await imap.mark_processed(uids[1:4])
    finally:
        await imap.close()
    flags = dovecot.flags(folder)
    assert ["\\Seen" in flags[u] for u in uids] == [False, True, True, True, False]


async def test_a_hostile_mail_read_beside_others_fails_alone() -> None:
    pool = MailReaderPool(10.0, 256, reader=hostile_reader, workers=2)
    try:
        mails = [request(1), request(2, headers={"X-Test-Worker": "die"}), request(3), request(4)]
        assert DIE in mails[1]
        results = await pool.read_many(mails)
    finally:
        pool.close()
    assert [r.failure for r in results] == [None, WORKER_DIED, None, None]
    assert [r.reading.subject for r in results if r.reading] == [
        "Permohonan 1", "Permohonan 3", "Permohonan 4"
    ]  # fmt: skip
    assert pool.replaced == 2  # the chunk's worker, then the mail's own (test_reader_chunks.py)


def savepoints_of(services: Services) -> list[int]:
    """A list that grows by one with every SAVEPOINT statement sent to the test's database."""
    seen: list[int] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SAVEPOINT"):
            seen.append(1)

    event.listen(services.db.engine.sync_engine, "before_cursor_execute", note)
    return seen


async def test_a_batch_that_no_mail_breaks_is_taken_without_savepoints(
    mail_services: Services, dovecot: DovecotServer, folder: str, watcher: MailboxWatcher
) -> None:
    for n in range(4):
        dovecot.append(folder, request(n))
    dovecot.append(folder, request(9, sender="Warga 1 <warga1@warga.test>"))  # a second mail
    savepoints = savepoints_of(mail_services)
    summary = await watcher.poll_now()
    assert (summary.fetched, summary.failed, summary.counts) == (5, 0, {"new_case": 5})
    assert savepoints == []
    async with mail_services.db.session() as session:
        owners = (await session.exec(select(Case.requester_id))).all()
    assert len(owners) == 5 and len(set(owners)) == 4  # the second mail: the same citizen


async def test_a_mail_failing_inside_the_batch_rolls_back_only_its_own_work(
    mail_services: Services,
    dovecot: DovecotServer,
    folder: str,
    watcher: MailboxWatcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uids = [dovecot.append(folder, request(n)) for n in range(6)]
    real_open_case = door.open_case_noting_missing
    synced: list[int] = []
    real_sync = BlobStore.sync_all

    async def open_then_fail(session: Any, **kwargs: Any) -> Any:
        case = await real_open_case(session, **kwargs)  # written, then the core fails
        if "Permohonan 2" in kwargs["details"].get("information_requested", ""):
            raise ValueError("a bug after the case was written")
        return case

    def counted_sync(self: BlobStore) -> None:
        synced.append(1)
        real_sync(self)

    monkeypatch.setattr(door, "open_case_noting_missing", open_then_fail)
    monkeypatch.setattr(BlobStore, "sync_all", counted_sync)
    savepoints = savepoints_of(mail_services)
    summary = await watcher.poll_now()
    assert (summary.fetched, summary.failed, summary.counts) == (6, 1, {"new_case": 5})
    assert len(synced) == 1  # one sync for the batch, before its commit
    assert len(savepoints) >= 6  # broken together, so run again apart: a savepoint a mail
    async with mail_services.db.session() as session:
        cases = (await session.exec(select(Case).order_by(col(Case.id)))).all()
        texts = (await session.exec(select(Message.subject))).all()
        recorded = (await session.exec(select(MailRecord.uid))).all()
    assert len(cases) == 5 and "Permohonan 2" not in texts  # nothing of the failed mail kept
    assert sorted(recorded) == [u for u in uids if u != uids[2]]
    # numbers are not lost to the rolled-back savepoint
    assert [int(c.reference.rsplit("/", 1)[1]) for c in cases] == [1, 2, 3, 4, 5]
    flags = dovecot.flags(folder)
    assert ["\\Seen" in flags[u] for u in uids] == [True, True, False, True, True, True]
    monkeypatch.setattr(door, "open_case_noting_missing", real_open_case)
    again = await watcher.poll_now()  # tried again on its own, and taken
    assert (again.fetched, again.counts) == (1, {"new_case": 1})


async def test_the_sizes_of_a_long_backlog_are_asked_in_pieces(
    mail_services: Services, dovecot: DovecotServer, folder: str, watcher: MailboxWatcher
) -> None:
    client = dovecot.client()  # aioimaplib breaks on a response of ~1000 lines (imap.py)
    try:
        for n in range(1100):
            client.append(folder, "", None, request(n).replace(b"\n", b"\r\n"))
    finally:
        client.logout()
    imap: ImapSession = await watcher.connect()
    try:
        uids = await imap.new_uids(0, everything=False)
        assert len(await imap.sizes(uids)) == len(uids) == 1100
    finally:
        await imap.close()


async def test_the_batches_of_a_backlog_are_flagged_only_after_their_commit(
    mail_services: Services,
    dovecot: DovecotServer,
    folder: str,
    watcher: MailboxWatcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(poller, "BATCH_MAILS", 2)
    uids = [dovecot.append(folder, request(n)) for n in range(7)]
    unrecorded_when_flagged: list[int] = []
    real_mark = ImapSession.mark_processed

    async def mark_after_checking(self: ImapSession, which: Any) -> None:
        async with mail_services.db.session() as session:  # what is committed, seen anew
            stored = set((await session.exec(select(MailRecord.uid))).all())
        unrecorded_when_flagged.extend(u for u in which if u not in stored)
        await real_mark(self, which)

    monkeypatch.setattr(ImapSession, "mark_processed", mark_after_checking)
    summary = await watcher.poll_now()
    assert (summary.fetched, summary.failed, summary.counts) == (7, 0, {"new_case": 7})
    assert unrecorded_when_flagged == []
    assert all("\\Seen" in f for f in dovecot.flags(folder).values())
    assert len(dovecot.flags(folder)) == len(uids)


async def test_a_poll_failing_mid_backlog_leaves_its_connection_usable(
    mail_services: Services,
    dovecot: DovecotServer,
    folder: str,
    watcher: MailboxWatcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(poller, "BATCH_MAILS", 2)
    uids = [dovecot.append(folder, request(n)) for n in range(6)]

    async def database_away(self: MailIngestor, locations: list[MailLocation]) -> set[int]:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(MailIngestor, "note_first_attempts", database_away)
    imap: ImapSession = await watcher.connect()
    try:
        with pytest.raises(ConnectionError):
            await watcher.poll_once(imap)  # the second batch was fetched already
        assert sorted(await imap.fetch_many(uids)) == uids  # no command was cut off midway
    finally:
        await imap.close()
    assert not any("\\Seen" in f for f in dovecot.flags(folder).values())


async def test_a_mail_tried_before_is_no_first_try(
    mail_services: Services, dovecot: DovecotServer, folder: str
) -> None:
    ingestor = ingestor_for(mail_services)
    here = [MailLocation(folder, 7, uid) for uid in (1, 2, 3)]
    assert await ingestor.note_first_attempts(here[:2]) == {1, 2}
    assert await ingestor.note_first_attempts(here) == {3}
    assert await ingestor.note_attempts(here[:1]) == [2]  # its try counted apart: the second


async def test_a_batch_larger_than_one_command_is_fetched_and_flagged_in_pieces(
    mail_services: Services,
    dovecot: DovecotServer,
    folder: str,
    watcher: MailboxWatcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(imap_module, "MAILS_PER_FETCH", 3)
    monkeypatch.setattr(imap_module, "MAILS_PER_MARK", 4)
    uids = [dovecot.append(folder, request(n)) for n in range(10)]
    imap: ImapSession = await watcher.connect()
    try:
        fetched = await imap.fetch_many([*uids[:4], max(uids) + 50, *uids[4:]])  # one gone
        assert sorted(fetched) == uids
        assert all(f"batch-{i}@warga.test".encode() in fetched[u].raw for i, u in enumerate(uids))
        await imap.mark_processed(uids[1:9])
    finally:
        await imap.close()
    flags = dovecot.flags(folder)
    assert ["\\Seen" in flags[u] for u in uids] == [False] + [True] * 8 + [False]


async def test_a_backlog_of_full_batches_is_taken_whole(
    mail_services: Services, dovecot: DovecotServer, folder: str, watcher: MailboxWatcher
) -> None:
    total = BATCH_MAILS + 7  # a full batch (more mails than one FETCH answers), then a few
    client = dovecot.client()
    try:
        for n in range(total):
            client.append(folder, "", None, request(n).replace(b"\n", b"\r\n"))
    finally:
        client.logout()
    summary = await watcher.poll_now()
    assert (summary.fetched, summary.failed, summary.counts) == (total, 0, {"new_case": total})
    flags = dovecot.flags(folder)
    assert len(flags) == total and all("\\Seen" in f for f in flags.values())
