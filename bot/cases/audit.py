"""The audit log: who did what to which case, and who saw whose personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import Event, Officer

SYSTEM = "system"


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
    """Add one audit event to the caller's transaction (committed with the change it records)."""
    event = Event(
        case_id=case_id,
        actor=actor,
        action=action,
        at=at,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
    )
    session.add(event)
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
