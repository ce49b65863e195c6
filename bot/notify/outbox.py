"""Queueing outbound messages: a row in the outbox, in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from store.enums import OutboxStatus
from store.models import OutboxMessage


async def enqueue(
    session: AsyncSession,
    *,
    dedup_key: str,
    channel: str,
    recipient: str,
    purpose: str,
    body: str,
    now: dt.datetime,
    subject: str | None = None,
    case_id: int | None = None,
    payload: dict[str, Any] | None = None,
    not_before: dt.datetime | None = None,
) -> bool:
    """Queue one message unless a row with `dedup_key` exists; True if it was queued now.

    Committed with the caller's change, so a crash never loses it and a retry never doubles it.
    """
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(table)
        .values(
            dedup_key=dedup_key,
            channel=channel,
            recipient=recipient,
            case_id=case_id,
            purpose=purpose,
            subject=subject,
            body=body,
            payload=payload or {},
            status=OutboxStatus.PENDING.value,
            attempts=0,
            not_before=not_before or now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    result = await (await session.connection()).execute(stmt)
    return bool(result.rowcount)
