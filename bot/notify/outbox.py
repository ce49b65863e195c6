"""Queueing outbound messages: a row in the outbox, in the caller's transaction.

`notify` is the one call the core and the scheduler use to say what to tell whom; the row it
writes holds the channel-neutral message (bot/notify/message.py), which the recipient
channel's renderer turns into its transport when the dispatcher sends it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.together import is_together, wait_for, write_waiting
from bot.i18n import t
from bot.notify.message import OutboundMessage, plain_params
from bot.notify.purposes import Purpose
from bot.notify.recipients import Recipient
from store.db import conflict_insert
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
    row = message_row(
        purpose=purpose,
        recipient=recipient,
        key=key,
        dedup_key=dedup_key,
        now=now,
        params=params,
        case_id=case.id if case else None,
        case_reference=case.reference if case else None,
        text=text,
        subject=subject,
        actions=actions,
        files=files,
        letters=letters,
        in_reply_to=in_reply_to,
        automatic=automatic,
        not_before=not_before,
    )
    return bool(await queue_rows(session, [row]))


def message_row(
    *,
    purpose: Purpose,
    recipient: Recipient,
    key: str,
    dedup_key: str,
    now: dt.datetime,
    params: Mapping[str, Any] | None = None,
    case_id: int | None = None,
    case_reference: str | None = None,
    text: str | None = None,
    subject: str | None = None,
    actions: Sequence[str] = (),
    files: Sequence[str] = (),
    letters: Sequence[str] = (),
    in_reply_to: str | None = None,
    automatic: bool = True,
    not_before: dt.datetime | None = None,
) -> dict[str, Any]:
    """The outbox row `notify` writes for these arguments (the case given by id and
    reference), for callers that queue many at once with `queue_rows`."""
    message = OutboundMessage(
        text=text if text is not None else t(key, recipient.language, **(params or {})),
        language=recipient.language,
        subject=subject,
        key=key,
        params=plain_params(params or {}),
        case_id=case_id,
        reply_case=case_reference,
        actions=tuple(actions),
        attachments=tuple(files),
        letters=tuple(letters),
        in_reply_to=in_reply_to,
        automatic=automatic,
    )
    return outbox_row(
        dedup_key=dedup_key,
        channel=recipient.channel,
        recipient=recipient.address,
        purpose=str(purpose),
        subject=subject,
        body=message.text,
        case_id=case_id,
        now=now,
        payload=message.payload(),
        not_before=not_before,
    )


def outbox_row(
    *,
    dedup_key: str,
    channel: str,
    recipient: str,
    purpose: str,
    body: str,
    now: dt.datetime,
    subject: str | None,
    case_id: int | None,
    payload: dict[str, Any] | None,
    not_before: dt.datetime | None,
) -> dict[str, Any]:
    """One pending outbox row as given (`queue_rows` and `queue_later` insert it)."""
    return {
        "dedup_key": dedup_key,
        "channel": channel,
        "recipient": recipient,
        "case_id": case_id,
        "purpose": purpose,
        "subject": subject,
        "body": body,
        "payload": payload or {},
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "not_before": not_before or now,
        "created_at": now,
    }


async def queue_rows(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert outbox rows in bulk, skipping any whose dedup_key exists; how many were new.

    In the caller's transaction, like `notify`; one cached statement, executed in batches.
    """
    if not rows:
        return 0
    stmt = _new_rows(session.bind.dialect.name, counted=True)
    if is_together(session):
        await write_waiting(session)  # rows queued later (`queue_later`) first: ids in order
    conn = await session.connection()
    queued = len((await conn.execute(stmt, list(rows))).all())
    return queued


_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


@functools.cache
def _new_rows(dialect_name: str, *, counted: bool) -> Any:
    """The outbox INSERT that skips a row whose dedup_key exists, built once per dialect;
    `counted`: it returns the ids of the rows it inserted (`queue_rows` counts them)."""
    stmt = conflict_insert(dialect_name, _OUTBOX).on_conflict_do_nothing(
        index_elements=["dedup_key"]
    )
    return stmt.returning(_OUTBOX.c.id) if counted else stmt


async def queue_later(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert outbox rows like `queue_rows` (skipping any whose dedup_key exists) when the
    caller needs no count: in a transaction taken together (bot.cases.together) they wait
    for one INSERT with the others, written before the session's next query or commit."""
    if not is_together(session):
        await queue_rows(session, rows)
        return
    stmt = _new_rows(session.bind.dialect.name, counted=False)
    for row in rows:
        wait_for(session, stmt, dict(row))


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

    The row-level internal of `notify` (the channels' senders still call it with their own
    payload shape until they move to `notify`). Committed with the
    caller's change, so a crash never loses it and a retry never doubles it.
    """
    row = outbox_row(
        dedup_key=dedup_key,
        channel=channel,
        recipient=recipient,
        purpose=purpose,
        subject=subject,
        body=body,
        case_id=case_id,
        now=now,
        payload=payload,
        not_before=not_before,
    )
    return bool(await queue_rows(session, [row]))
