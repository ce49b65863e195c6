"""What intake answers a sender automatically, and how a channel words it.

Intake decides *when* a sender is answered: when their message opened a case (the proof of
request, UU KIP Pasal 22(4)-(5)) and when their reply filled in details of their case. The
channel decides *whether* and *how*: an adapter hands `Intake.handle_inbound` its own `Answers`
(email: bilingual, with a fill-in template, a signed reply address, a cap per sender and day),
or gets `PlainAnswers`, the proof-of-request text in the sender's language. Intake queues what
the channel returns in the same transaction as the case, so an answer is never lost nor doubled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.fields import FIELD
from bot.errors import DomainError
from bot.i18n import format_date, t
from bot.notify.outbox import outbox_row, queue_rows
from bot.notify.purposes import Purpose
from bot.settings import Settings
from store.models import Case


@dataclass(frozen=True)
class Acknowledged:
    """A message opened `case`: what is still missing, which files and values were refused."""

    case: Case
    sender: str
    external_id: str
    language: str
    now: dt.datetime
    missing: tuple[str, ...] = ()
    rejected_attachments: tuple[str, ...] = ()
    field_errors: tuple[DomainError, ...] = ()


@dataclass(frozen=True)
class DetailsTaken:
    """A reply from the case's requester brought details: what was set, what waits for an
    officer (identity fields already on record), what was refused, and what is still missing."""

    case: Case
    sender: str
    external_id: str
    language: str
    now: dt.datetime
    changed: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    field_errors: tuple[DomainError, ...] = ()
    rejected_attachments: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    fields_sent: bool = False


@dataclass(frozen=True)
class Reply:
    """One automatic answer as the channel words it; intake queues it (once per `dedup_key`).

    `recipient` defaults to the message's sender; `receipt_apart` also queues the case's receipt
    PDF as a row of its own after this one (bot.letters.outbox.intake_receipt_row)."""

    purpose: str
    dedup_key: str
    body: str
    subject: str | None = None
    recipient: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    receipt_apart: bool = False


def reply_row(
    reply: Reply, *, channel: str, recipient: str, case_id: int | None, now: dt.datetime
) -> dict[str, Any]:
    """The outbox row of `reply` for `recipient` (unless its `recipient` says otherwise) on
    `channel`, keyed by its dedup key (`queue_rows`, `queue_later` insert it once)."""
    return outbox_row(
        dedup_key=reply.dedup_key,
        channel=channel,
        recipient=reply.recipient or recipient,
        purpose=reply.purpose,
        subject=reply.subject,
        body=reply.body,
        case_id=case_id,
        now=now,
        payload=reply.payload,
        not_before=None,
    )


async def queue_reply(
    session: AsyncSession,
    reply: Reply,
    *,
    channel: str,
    recipient: str,
    case_id: int | None,
    now: dt.datetime,
) -> bool:
    """Queue `reply` for `recipient` (unless its `recipient` says otherwise) on `channel`, in
    the caller's transaction, once per its dedup key; True if it was queued now."""
    row = reply_row(reply, channel=channel, recipient=recipient, case_id=case_id, now=now)
    return bool(await queue_rows(session, [row]))


class Answers(Protocol):
    """How one channel answers a sender automatically; None means no answer."""

    async def acknowledgement(self, session: AsyncSession, facts: Acknowledged) -> Reply | None:
        """The answer to a message that opened a case."""
        ...

    async def details_taken(self, session: AsyncSession, facts: DetailsTaken) -> Reply | None:
        """The answer to a reply that filled in details of the sender's case."""
        ...


class PlainAnswers:
    """The proof-of-request text in the sender's language; replies that fill in details get no
    answer of their own (the channel confirms them in its conversation).

    `receipt_apart_on`: the channels whose acknowledgement is followed by the receipt PDF as a
    row of its own (store.enums.LETTERS_APART_CHANNELS: a sender that renders a row's letters
    before the text, which would
    delay the number, bot.letters.outbox.intake_receipt_row)."""

    def __init__(self, settings: Settings, receipt_apart_on: frozenset[str] = frozenset()) -> None:
        self.settings, self.receipt_apart_on = settings, receipt_apart_on

    async def acknowledgement(self, session: AsyncSession, facts: Acknowledged) -> Reply | None:
        """The plain proof of request (see the class docstring)."""
        case = facts.case
        return Reply(
            purpose=Purpose.ACKNOWLEDGEMENT,
            dedup_key=f"ack:{case.reference}",
            subject=t("ack.subject", facts.language, reference=case.reference),
            body=acknowledgement_text(
                case, facts.missing, facts.rejected_attachments, facts.language, self.settings
            ),
            payload={"in_reply_to": facts.external_id},
            receipt_apart=case.channel in self.receipt_apart_on,
        )

    async def details_taken(self, session: AsyncSession, facts: DetailsTaken) -> Reply | None:
        """No separate answer (see the class docstring)."""
        return None


def acknowledgement_text(
    case: Case,
    missing: Sequence[str],
    rejected: Sequence[str],
    language: str,
    settings: Settings,
) -> str:
    """The proof-of-request message: reference, due date, and what is still missing."""
    parts = [
        t(
            f"ack.body.{case.kind}",
            language,
            reference=case.reference,
            due=format_date(case.due_date, language),
            body=settings.body_name,
        )
    ]
    if missing:
        lines = "\n".join(f"- {t(FIELD[name].label_key, language)}" for name in missing)
        parts.append(t("ack.missing", language, fields=lines))
    if rejected:
        parts.append(rejected_attachments_note(rejected, language, settings))
    return "\n\n".join(parts)


def rejected_attachments_note(rejected: Sequence[str], language: str, settings: Settings) -> str:
    """The note naming attachments not kept because they are over ATTACHMENT_MAX_BYTES."""
    return t(
        "ack.attachments_rejected",
        language,
        files=", ".join(rejected),
        limit_mb=settings.attachment_max_bytes // (1024 * 1024),
    )
