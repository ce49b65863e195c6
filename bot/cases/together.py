"""A transaction that takes many messages together (a channel's batch of them, one commit).

Nothing in such a transaction is rolled back alone (no savepoint: an error rolls the whole of
it back, and the caller runs its messages again one by one), so what it writes may be counted
in memory instead of read back, and written when its rows of a table can go together:
- the reference numbers, after each counter's first upsert (bot.cases.references);
- the contact kinds of the requesters it creates (bot.intake.requesters), which is what a new
  case's missing fields are computed from;
- the rows whose ids are needed at once (a requester, a case, a message) get their ids
  without a flush of the session (`write_now`): on SQLite, whose transactions each hold the
  one write lock from their BEGIN, counted in memory from the table's largest id (read once a
  table), the id SQLite itself would give, and the row then waits like those below; on
  PostgreSQL, whose sequences other transactions draw from meanwhile, from ids drawn from the
  table's sequence a block at a time (8, then twice as many each time, up to ID_BLOCK_MAX:
  one `nextval` query for many rows; ids drawn and not used are a gap, as after any rollback),
  the row then waiting likewise; on other databases, one cached INSERT .. RETURNING each;
- the rows whose ids nobody reads in it (contacts, audit events, the acknowledgements queued
  in the outbox, a channel's records of its messages: `write_later`, `wait_for`) wait, and
  are written a table at a time with one INSERT of many rows (tables in the order their
  foreign keys need), before the session's next query or flush (so every read and update sees
  them) and at the block's end.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached
from sqlalchemy.sql import Insert
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.references import hold_references

# The `session.info` key of the contact kinds of the requesters a transaction taken together
# created: requester id -> kinds (bot.intake.requesters keeps it).
CONTACT_KINDS = "loket.contact_kinds"
_TOGETHER = "loket.together"
# The `session.info` key of the rows waiting to be written (`write_later`), in order.
_PENDING = "loket.rows_pending"
# The `session.info` key of the next id of each table whose ids `write_now` counts (SQLite).
_NEXT_IDS = "loket.next_ids"
# The `session.info` key of the ids drawn from each table's sequence and not used yet
# (PostgreSQL), and of how many the next draw takes.
_DRAWN_IDS = "loket.drawn_ids"
_DRAW_SIZES = "loket.draw_sizes"
ID_BLOCK_FIRST = 8
ID_BLOCK_MAX = 256
_DRAW = text("SELECT nextval(pg_get_serial_sequence(:table, :column)) FROM generate_series(1, :n)")
_INSERTS: dict[tuple[str, Any], Insert] = {}
# Per model: (attribute, column name, primary key?) of each column.
_COLUMNS: dict[type, tuple[tuple[str, str, bool], ...]] = {}


def is_together(session: AsyncSession) -> bool:
    """Whether `session`'s transaction is taken together (see the module docstring)."""
    return _TOGETHER in session.info


async def write_now(session: AsyncSession, row: SQLModel) -> None:
    """Write `row` (new) and give it its id: with a flush of `session`, or in a transaction
    taken together with one INSERT of it alone, `row` then kept in `session` as if flushed
    (what else is pending waits for the next flush)."""
    if not is_together(session):
        session.add(row)
        await session.flush()
        return
    mapper = inspect(type(row))
    table = mapper.local_table
    (key,) = (c.key for c in mapper.primary_key)
    next_ids: dict[Any, int] | None = session.info.get(_NEXT_IDS)
    if next_ids is not None:  # SQLite: see the module docstring
        if table not in next_ids:
            connection = await session.connection()
            largest = (await connection.execute(select(func.max(table.c[key])))).scalar()
            next_ids[table] = (largest or 0) + 1
        setattr(row, key, next_ids[table])
        next_ids[table] += 1
        wait_for(session, _plain_insert(table), _values(row))
    elif (drawn := session.info.get(_DRAWN_IDS)) is not None:  # PostgreSQL
        ids = drawn.get(table)
        if not ids:
            ids = drawn[table] = await _draw_ids(session, table, key)
        setattr(row, key, ids.popleft())
        wait_for(session, _plain_insert(table), _values(row))
    else:
        stmt = _INSERTS.get(("returning", table))
        if stmt is None:
            stmt = _INSERTS[("returning", table)] = table.insert().returning(table.c[key])
        connection = await session.connection()
        setattr(row, key, (await connection.execute(stmt, _values(row))).scalar_one())
    make_transient_to_detached(row)
    session.add(row)


async def _draw_ids(session: AsyncSession, table: Any, key: str) -> collections.deque[int]:
    """The next block of ids from `table`'s sequence, in order (one query)."""
    sizes: dict[Any, int] = session.info[_DRAW_SIZES]
    size = sizes.get(table, ID_BLOCK_FIRST)
    sizes[table] = min(ID_BLOCK_MAX, size * 2)
    connection = await session.connection()
    drawn = await connection.execute(_DRAW, {"table": table.name, "column": key, "n": size})
    return collections.deque(sorted(drawn.scalars()))


def write_later(session: AsyncSession, row: SQLModel) -> None:
    """Add `row` (new, its id read by nobody in the transaction) to `session`; in a transaction
    taken together it waits for one INSERT with the other rows of its table (written before
    the session's next query and at the end of the block)."""
    if not is_together(session):  # no statement or values to make
        session.add(row)
        return
    wait_for(session, _plain_insert(inspect(type(row)).local_table), _values(row))


def wait_for(session: AsyncSession, insert: Insert, values: dict[str, Any]) -> bool:
    """In a transaction taken together, keep the row `values` for `insert` (of one table, the
    same statement for all of that table's waiting rows) and say True; False outside one
    (nothing kept: the caller writes it)."""
    pending: list[tuple[Insert, dict[str, Any]]] | None = session.info.get(_PENDING)
    if pending is None:
        return False
    pending.append((insert, values))
    return True


def _plain_insert(table: Any) -> Insert:
    stmt = _INSERTS.get(("plain", table))
    if stmt is None:
        stmt = _INSERTS[("plain", table)] = table.insert()
    return stmt


def _values(row: SQLModel) -> dict[str, Any]:
    """The column values of a new row as set on it (its id left out while it has none)."""
    columns = _COLUMNS.get(type(row))
    if columns is None:
        attrs = inspect(type(row)).column_attrs
        columns = _COLUMNS[type(row)] = tuple(
            (a.key, a.columns[0].name, a.columns[0].primary_key) for a in attrs
        )
    given = row.__dict__  # the instance's loaded attributes (SQLAlchemy's state.dict)
    return {
        name: given[key]
        for key, name, primary in columns
        if key in given and not (primary and given[key] is None)
    }


def _write_pending(session: Session) -> None:
    """Write the rows waiting in `session` (sync: in the session's greenlet), a statement a
    table (their ids in the order they were added, as one by one)."""
    pending: list[tuple[Insert, dict[str, Any]]] | None = session.info.get(_PENDING)
    if not pending:
        return
    rows, pending[:] = list(pending), []
    by_statement: dict[Insert, list[dict[str, Any]]] = {}
    for insert, values in rows:
        by_statement.setdefault(insert, []).append(values)
    connection = session.connection()
    for insert, values in sorted(by_statement.items(), key=lambda item: _rank(item[0].table)):
        if all(v.keys() == values[0].keys() for v in values):
            connection.execute(insert, values)
        else:  # rows set differently: one by one, in order
            for one in values:
                connection.execute(insert, one)


def _rank(table: Any) -> int:
    """Where `table` comes in an order that writes every row after the rows it refers to."""
    if not _RANKS:
        _RANKS.update((t, i) for i, t in enumerate(SQLModel.metadata.sorted_tables))
    return _RANKS.get(table, len(_RANKS))


_RANKS: dict[Any, int] = {}


def _before_statement(state: ORMExecuteState) -> None:
    _write_pending(state.session)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    _write_pending(session)  # a change to a row that still waits updates it once it is written


def _after_flush(session: Session, _context: Any) -> None:
    """The tables the flush inserted rows into count their ids afresh, or draw a new block (so
    ids still follow the order rows were added in: `session.new` lists what it inserted)."""
    counted: dict[Any, Any] = session.info.get(_NEXT_IDS) or session.info.get(_DRAWN_IDS) or {}
    if counted:
        for row in session.new:
            counted.pop(inspect(type(row)).local_table, None)


async def write_waiting(session: AsyncSession) -> None:
    """Write the rows waiting in `session` now (`write_later`), a statement a table."""
    await session.run_sync(_write_pending)


@contextlib.asynccontextmanager
async def taken_together(session: AsyncSession) -> AsyncIterator[None]:
    """Let the block's work in `session` count in memory and write a table's rows together
    (see the module docstring); the counters are written back when it ends without error."""
    session.info[CONTACT_KINDS] = {}
    session.info[_TOGETHER] = True
    session.info[_PENDING] = []
    dialect = (await session.connection()).dialect.name
    if dialect == "sqlite":
        session.info[_NEXT_IDS] = {}
    elif dialect == "postgresql":
        session.info[_DRAWN_IDS], session.info[_DRAW_SIZES] = {}, {}
    hooks = (("do_orm_execute", _before_statement), ("before_flush", _before_flush),
             ("after_flush", _after_flush))  # fmt: skip
    for name, hook in hooks:
        event.listen(session.sync_session, name, hook)
    try:
        async with hold_references(session):
            yield
            await write_waiting(session)
    finally:
        for name, hook in hooks:
            event.remove(session.sync_session, name, hook)
        for key in (CONTACT_KINDS, _TOGETHER, _PENDING, _NEXT_IDS, _DRAWN_IDS, _DRAW_SIZES):
            session.info.pop(key, None)
