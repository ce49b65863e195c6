"""The fingerprint of everything the stored dates of a case are computed from.

Due dates, the report columns and the sweep columns are stored when a case changes, the events'
local dates when they are written. They go stale when an input changes at a restart: TIMEZONE,
EXTRA_CLOSED_DATES, EXTRA_WORKING_DATES, CUTI_BERSAMA_CLOSED, the statutory periods,
REQUESTER_PROGRESS_EVERY_DAYS, or the national holiday data of a new release. The fingerprint
hashes all of them (the holiday data by the version of the `holidays` package that carries it);
a tick that finds a fingerprint other than the stored one restamps every case and event
(bot/workflow/restamp.py). Calendar overrides made at run time are not part of it: changing one
recomputes the cases at once (bot/calendar/overrides.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import holidays
from sqlalchemy import select
from sqlalchemy.engine import Connection

from bot.settings import Settings
from store.db import conflict_insert
from store.models import CalendarStamp

WHAT = "cases"


def _inputs(settings: Settings) -> tuple[object, ...]:
    return (
        settings.timezone,
        tuple(sorted(settings.extra_closed_dates)),
        tuple(sorted(settings.extra_working_dates)),
        settings.cuti_bersama_closed,
        settings.request_response_days,
        settings.count_from_complete,
        settings.objection_answer_days,
        settings.complaint_verify_days,
        settings.complaint_followup_days,
        settings.complaint_autoclose_days,
        settings.requester_progress_every_days,
    )


def calendar_fingerprint(settings: Settings) -> str:
    """A hash that changes exactly when an input of the stored case dates changes."""
    inputs = [str(x) for x in _inputs(settings)] + [holidays.__version__]
    return hashlib.sha256(json.dumps(inputs).encode()).hexdigest()


def stored_fingerprint(conn: Connection) -> str | None:
    """The fingerprint the cases were last stamped under; None if never recorded."""
    stmt = select(CalendarStamp.fingerprint).where(CalendarStamp.what == WHAT)  # type: ignore[arg-type]
    return conn.execute(stmt).scalar_one_or_none()


def record_fingerprint(conn: Connection, settings: Settings) -> None:
    """Record that the cases are stamped under `settings` (in the caller's transaction; two
    processes recording at once both succeed)."""
    table = CalendarStamp.__table__  # type: ignore[attr-defined]
    values = {
        "what": WHAT,
        "fingerprint": calendar_fingerprint(settings),
        "stamped_at": dt.datetime.now(dt.UTC),
    }
    stmt = conflict_insert(conn.dialect.name, table).values(values)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["what"],
            set_={"fingerprint": stmt.excluded.fingerprint, "stamped_at": stmt.excluded.stamped_at},
        )
    )
