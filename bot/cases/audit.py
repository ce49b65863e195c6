"""The audit log: who did what to which case, and who saw whose personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.together import write_later
from bot.clock import local_date
from bot.settings import Settings
from store.db import Database
from store.models import Case, Event, Officer

SYSTEM = "system"
# The `session.info` key of the body's time zone (TIMEZONE): the local date an event is stamped
# with. The services set it on their database (`remember_timezone`); a session of a database
# opened without it stamps in the default zone, as Settings() would.
TIMEZONE_INFO = "loket.timezone"
_DEFAULT_TIMEZONE = str(Settings.model_fields["timezone"].default)


def remember_timezone(db: Database, settings: Settings) -> None:
    """Let every session of `db` know the body's time zone, for the events' local dates."""
    db.session_info[TIMEZONE_INFO] = settings.timezone


def _local_day(session: AsyncSession, at: dt.datetime) -> dt.date:
    zone = ZoneInfo(session.info.get(TIMEZONE_INFO, _DEFAULT_TIMEZONE))
    return local_date(at if at.tzinfo else at.replace(tzinfo=dt.UTC), zone)  # stored: UTC


def officer_actor(officer: Officer) -> str:
    """The audit name of an officer: `officer:<id>:<name>`."""
    return f"officer:{officer.id}:{officer.name}"


def requester_actor(requester_id: int | None) -> str:
    """The audit name of a requester (no personal data, only the id)."""
    return f"requester:{requester_id}"


def cli_actor(user: str) -> str:
    """The audit name of someone working at the command line."""
    return f"cli:{user}"


async def record_event(
    session: AsyncSession,
    *,
    case_id: int | None,
    actor: str,
    action: str,
    at: dt.datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Add one audit event to the caller's transaction (committed with the change it records).

    The one place events are made: it also stamps what the complaint recap's officers' table
    groups on (the case's kind and local receipt date, the local date of `at`), so that table
    reads the events alone; rows written otherwise are stamped by `stamp_all_events`.
    """
    event = Event(
        case_id=case_id,
        actor=actor,
        action=action,
        at=at,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
        acted_on=_local_day(session, at),
    )
    if case_id is not None:
        with session.no_autoflush:  # the caller's case, from the identity map: no flush
            case = await session.get(Case, case_id)
        if case is not None:
            event.case_kind, event.case_received_on = case.kind, case.received_on
    write_later(session, event)  # nobody reads its id in the transaction
    return event


async def record_view(
    session: AsyncSession,
    *,
    case_id: int | None,
    actor: str,
    reveal: bool,
    via: str,
    at: dt.datetime,
) -> Event:
    """Audit that `actor` looked at a case (domain.md §7: who saw a case is logged, and a
    reveal of personal data apart), in the caller's transaction."""
    return await record_event(
        session,
        case_id=case_id,
        actor=actor,
        action="personal_data_revealed" if reveal else "case_viewed",
        at=at,
        data={"via": via},
    )
