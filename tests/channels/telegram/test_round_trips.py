"""What a handled update costs in trips to the store: its draft is read in its claim's
transaction (the lane is the chat's, so nothing else changes it before the handler runs)."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.intake.forms import SUMMARY
from store.models import Case, InboundUpdate, OutboxMessage, TelegramDraft
from tests.channels.telegram.conftest import TelegramHarness
from tests.channels.telegram.helpers import fill_request_form


@contextlib.contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[tuple[int, str]]]:
    """Every statement run on `engine` in the block, with the number of its transaction."""
    seen: list[tuple[int, str]] = []
    numbers = itertools.count(1)

    def began(conn: Any) -> None:
        conn.info["test_transaction"] = next(numbers)

    def ran(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append((conn.info.get("test_transaction", 0), " ".join(statement.split())))

    sync = engine.sync_engine
    event.listen(sync, "begin", began)
    event.listen(sync, "before_cursor_execute", ran)
    try:
        yield seen
    finally:
        event.remove(sync, "before_cursor_execute", ran)
        event.remove(sync, "begin", began)


async def test_a_handler_reads_its_draft_in_its_updates_claim(tg: TelegramHarness) -> None:
    siti = tg.citizen(42)
    await siti.send("/start")  # her conversation is stored now
    with statements(tg.services.db.engine) as seen:
        assert "Cara menggunakan" in (await siti.send("/bantuan"))["text"]
    claims = {tx for tx, sql in seen if "UPDATE inbound_updates SET" in sql and "RETURNING" in sql}
    reads = {tx for tx, sql in seen if sql.startswith("SELECT") and "FROM telegram_drafts" in sql}
    assert reads and reads <= claims


async def test_a_draft_saved_by_one_update_is_what_the_next_one_reads(
    tg: TelegramHarness,
) -> None:
    siti = tg.citizen(42)
    await siti.send("/start")
    await siti.press("🌐 English")  # the language is kept in the conversation (an edit)
    assert "How to use" in (await siti.send("/bantuan"))["text"]


async def test_the_rehearsal_at_start_leaves_nothing_behind(tg: TelegramHarness) -> None:
    # The worker ran a claim, a drafts read and a group commit before its first update, in a
    # transaction rolled back (SQLAlchemy compiles each statement at its first execution).
    assert "Selamat datang" in (await tg.citizen(42).send("/start"))["text"]
    async with tg.services.db.session() as session:
        drafts = (await session.exec(select(TelegramDraft.chat_id))).all()
        keys = (await session.exec(select(OutboxMessage.dedup_key))).all()
        updates = (await session.exec(select(InboundUpdate.channel))).all()
    assert list(drafts) == [42]
    assert not [k for k in keys if "rehearsal" in k]
    assert list(updates) == ["telegram"]


async def test_a_submit_answers_from_what_intake_returned(tg: TelegramHarness) -> None:
    # The number and due date come back from intake's transaction; reading the case by its
    # number after it was one more turn of SQLite's one writer a submit (branch `tgfile`).
    siti = tg.citizen(42)
    await fill_request_form(siti)
    with statements(tg.services.db.engine) as seen:
        receipt = await siti.tap("Kirim")
    assert "PPID/2026/000001" in receipt["text"] and "Selasa, 20 Januari 2026" in receipt["text"]
    by_reference = [sql for _, sql in seen if "FROM cases WHERE cases.reference" in sql]
    assert by_reference == []  # (the dispatcher reads it by id to render the proof of request)


async def test_a_submit_commits_its_case_its_answer_and_its_end_together(
    tg: TelegramHarness,
) -> None:
    # One turn of the store's writer a submit, not two: intake's transaction also clears the
    # form, queues the answer and marks the update done (Turn.finishing).
    siti = tg.citizen(42)
    await fill_request_form(siti)
    with statements(tg.services.db.engine) as seen:
        receipt = await siti.tap("Kirim")
    assert "PPID/2026/000001" in receipt["text"]

    def transactions(prefix: str) -> set[int]:
        return {tx for tx, sql in seen if sql.startswith(prefix)}

    (case_tx,) = transactions("INSERT INTO cases")
    assert transactions("INSERT INTO telegram_drafts") == {case_tx}
    assert transactions("UPDATE inbound_updates SET payload") == {case_tx}
    in_case_tx = [sql for tx, sql in seen if tx == case_tx]
    answers = [sql for sql in in_case_tx if sql.startswith("INSERT INTO outbox")]
    # The officers' card, the proof of request with its PDF's row after it (one INSERT), the
    # answer.
    assert len(answers) == 3
    # The new requester is written once with the form's details (not inserted, then updated),
    # the contacts intake gave them are not read back for what the case misses, and the
    # officers' card reads the case's identity requests and decisions in one query.
    assert not [sql for sql in in_case_tx if sql.startswith("UPDATE requesters")]
    assert not [sql for sql in in_case_tx if "WHERE contacts.requester_id" in sql]
    assert len([sql for sql in in_case_tx if "FROM events" in sql]) == 1


REFUSE_CLEARED_DRAFTS = {
    "sqlite": [
        f"CREATE TRIGGER refuse_{op} BEFORE {op} ON telegram_drafts WHEN NEW.flow IS NULL "
        "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
        for op in ("INSERT", "UPDATE")
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_cleared() RETURNS trigger AS $$ BEGIN IF NEW.flow IS NULL "
        "THEN RAISE EXCEPTION 'the disk is full'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_cleared BEFORE INSERT OR UPDATE ON telegram_drafts "
        "FOR EACH ROW EXECUTE FUNCTION refuse_cleared()",
    ],
}
ALLOW_CLEARED_DRAFTS = {
    "sqlite": ["DROP TRIGGER refuse_INSERT", "DROP TRIGGER refuse_UPDATE"],
    "postgresql": ["DROP TRIGGER refuse_cleared ON telegram_drafts"],
}


async def _run(tg: TelegramHarness, statements_of: dict[str, list[str]]) -> None:
    async with tg.services.db.transaction() as session:
        for sql in statements_of[tg.services.db.dialect]:
            await session.exec(text(sql))  # type: ignore[call-overload]


async def test_a_submit_whose_transaction_fails_registers_nothing_and_keeps_the_form(
    tg: TelegramHarness,
) -> None:
    siti = tg.citizen(42)
    await fill_request_form(siti)
    await _run(tg, REFUSE_CLEARED_DRAFTS)  # the store refuses the end of the form, once
    assert "Maaf, terjadi gangguan" in (await siti.tap("Kirim"))["text"]
    async with tg.services.db.session() as session:
        assert (await session.exec(select(Case.id))).all() == []  # no number without its answer
        (draft,) = (await session.exec(select(TelegramDraft))).all()
    assert draft.step == SUMMARY  # the citizen's answers are all still there
    await _run(tg, ALLOW_CLEARED_DRAFTS)
    tg.services.clock.advance(dt.timedelta(seconds=10))  # type: ignore[attr-defined]
    assert "PPID/2026/000001" in (await siti.reply())["text"]  # the retry registers it once
    async with tg.services.db.session() as session:
        assert len((await session.exec(select(Case.id))).all()) == 1
