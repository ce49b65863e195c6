"""Queueing outbound messages: a row in the outbox, in the caller's transaction.

`notify` is the one call the core and the scheduler use to say what to tell whom; the row it
writes holds the channel-neutral message (bot/notify/message.py), which the recipient
channel's renderer turns into its transport when the dispatcher sends it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import t
from bot.notify.message import OutboundMessage, plain_params
from bot.notify.purposes import Purpose
from bot.notify.recipients import Recipient
from store.enums import OutboxStatus
from store.models import Case, OutboxMessage


async def notify(
    session: AsyncSession,
    *,
    purpose: Purpose,
    recipient: Recipient,
    key: str,
    dedup_key: str,
    now: dt.datetime,
    params: Mapping[str, Any] | None = None,
    case: Case | None = None,
    text: str | None = None,
    subject: str | None = None,
    actions: Sequence[str] = (),
    files: Sequence[str] = (),
    letters: Sequence[str] = (),
    in_reply_to: str | None = None,
    automatic: bool = True,
    not_before: dt.datetime | None = None,
) -> bool:
    """Queue `key` with `params` about `case` for `recipient`, unless `dedup_key` was queued
    before; True if it was queued now. In the caller's transaction, so it commits with the
    change that causes it and a retry never doubles it.

    The text is `key` in the recipient's language, or `text` when the message is longer than
    its headline (composed from the catalogue by the caller). `actions` are offered steps,
    `files` digests of stored attachments, `letters` kinds rendered to PDF at send time,
    `in_reply_to` the recipient channel's id of the message this answers. `automatic` is False
    only for words a person wrote (an officer's reply). Not sent before `not_before`.
    """
    values = plain_params(params or {})
    message = OutboundMessage(
        text=text if text is not None else t(key, recipient.language, **(params or {})),
        language=recipient.language,
        subject=subject,
        key=key,
        params=values,
        case_id=case.id if case else None,
        reply_case=case.reference if case else None,
        actions=tuple(actions),
        attachments=tuple(files),
        letters=tuple(letters),
        in_reply_to=in_reply_to,
        automatic=automatic,
    )
    return await enqueue(
        session,
        dedup_key=dedup_key,
        channel=recipient.channel,
        recipient=recipient.address,
        purpose=str(purpose),
        subject=subject,
        body=message.text,
        case_id=message.case_id,
        now=now,
        payload=message.payload(),
        not_before=not_before,
    )


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
    """Queue one row as given unless a row with `dedup_key` exists; True if it was queued now.

    The row-level internal of `notify` (bot/intake/door.py and the email intake still call it
    with their channel's own payload shape until they move to `notify`). Committed with the
    caller's change, so a crash never loses it and a retry never doubles it.
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
