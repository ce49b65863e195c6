"""A transaction taken together (bot.cases.together): rows given their ids at once are written
in one statement a table, after the rows they refer to, before any read or flush that needs
them, and an insert of the session's own in between never takes an id given already."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlmodel import col, select

from bot.cases.together import taken_together, write_later, write_now, write_waiting
from store.db import Database
from store.models import Contact, Requester


async def test_rows_given_ids_at_once_are_written_in_order_and_updated(db: Database) -> None:
    async with db.transaction() as session, taken_together(session):
        first = Requester(name=None, language="id")
        await write_now(session, first)
        # A row referring to it waits too; written after it although added first here.
        write_later(session, Contact(requester_id=first.id, kind="email", value="a@warga.test"))
        first.name = "Adi"  # a change to a row still waiting: an UPDATE once it is written
        await session.flush()
        between = Requester(name="Budi", language="id")  # the session's own insert
        session.add(between)
        await session.flush()
        after = Requester(name="Citra", language="en")
        await write_now(session, after)
        found = (await session.exec(select(Requester).order_by(col(Requester.id)))).all()
        assert [r.name for r in found] == ["Adi", "Budi", "Citra"]  # the read sees all three
    ids = [first.id, between.id, after.id]
    assert len(set(ids)) == 3 and ids == sorted(ids)
    async with db.session() as session:
        stored = (await session.exec(select(Requester).order_by(col(Requester.id)))).all()
        assert [(r.id, r.name, r.language) for r in stored] == [
            (first.id, "Adi", "id"), (between.id, "Budi", "id"), (after.id, "Citra", "en")
        ]  # fmt: skip
        (contact,) = (await session.exec(select(Contact))).all()
        assert contact.requester_id == first.id


async def test_nothing_waits_after_a_transaction_taken_together(db: Database) -> None:
    async with db.transaction() as session, taken_together(session):
        requester = Requester(name="Dewi", language="id")
        await write_now(session, requester)
    async with db.session() as session:
        assert (await session.get(Requester, requester.id)) is not None


async def test_many_rows_given_ids_at_once_take_a_few_statements(db: Database) -> None:
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split()[0].upper())

    async with db.transaction() as session, taken_together(session):
        await session.exec(select(Requester).limit(1))  # the transaction has begun
        event.listen(db.engine.sync_engine, "before_cursor_execute", note)
        try:
            rows = [Requester(name=f"Warga {n}", language="id") for n in range(40)]
            for row in rows:
                await write_now(session, row)
            await write_waiting(session)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", note)
    ids = [row.id for row in rows]
    assert ids == sorted(ids) and len(set(ids)) == 40
    # SQLite: the largest id read once; PostgreSQL: ids drawn 8, 16 and 32 at a time (not one
    # INSERT .. RETURNING a row); then one INSERT of all 40.
    assert statements.count("INSERT") == 1
    assert statements.count("SELECT") == (1 if db.engine.dialect.name == "sqlite" else 3)
    async with db.session() as session:
        stored = (await session.exec(select(Requester).order_by(col(Requester.id)))).all()
    assert [(r.id, r.name) for r in stored] == [(row.id, row.name) for row in rows]
