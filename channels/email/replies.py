"""How the email channel answers a sender automatically (intake's `Answers`, bot.intake.answers).

The acknowledgement is Indonesian with English below (the reader's language is unknown) and
ends with the "Field: value" template of the required fields still missing (channels/email/
forms.py); the requester fills it in by replying. Every automatic answer is Auto-Submitted,
carries the case's signed Reply-To, answers the mail it replies to, and counts against
MAIL_ACK_PER_SENDER_PER_DAY, so a misbehaving sender can never start a mail loop; a sender who
asked for no automatic answer (RFC 3834) gets none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.opening import missing_fields
from bot.clock import local_midnight
from bot.errors import DomainError
from bot.i18n import LANGUAGES, in_both_languages, t
from bot.intake.answers import (
    Acknowledged,
    DetailsTaken,
    Reply,
    acknowledgement_text,
    queue_reply,
    rejected_attachments_note,
)
from bot.intake.lookahead import Prefetched
from bot.intake.requesters import normalise_contact
from bot.letters.outbox import intake_receipt_letters
from bot.notify.purposes import Purpose
from bot.settings import Settings
from channels.email.forms import field_template
from store.enums import Channel, ContactKind
from store.models import Case, OutboxMessage

AUTO_REPLY_PURPOSES = (Purpose.ACKNOWLEDGEMENT, Purpose.MAIL_DETAILS_RECEIVED)
# Why a new case's sender got no acknowledgement (MailRecord.reason).
NO_REPLY_REQUESTED = "no_reply_requested"
REPLY_CAPPED = "reply_capped"


def _with_template(render_body: dict[str, str], missing: Sequence[str]) -> str:
    def render(language: str) -> str:
        parts = [render_body[language]] if render_body[language] else []
        if missing:
            parts.append(t("mail.template_intro", language))
        return "\n\n".join(parts)

    body = in_both_languages(render)
    return f"{body}\n\n{field_template(missing)}" if missing else body


def acknowledgement_email(
    case: Case,
    missing: Sequence[str],
    rejected: Sequence[str],
    settings: Settings,
    errors: Sequence[DomainError] = (),
) -> str:
    """The proof of request by email: number, due date, refused attachments, values that were
    not accepted, then the template of what is still missing."""
    bodies = {}
    for language in LANGUAGES:
        parts = [acknowledgement_text(case, (), tuple(rejected), language, settings)]
        if errors:
            parts.append(_invalid(errors, language))
        bodies[language] = "\n\n".join(parts)
    return _with_template(bodies, missing)


def _invalid(errors: Sequence[DomainError], language: str) -> str:
    lines = "\n".join(f"- {error.message(language)}" for error in errors)
    return t("mail.details_invalid", language, errors=lines)


def details_email(
    case: Case,
    changed: Sequence[str],
    errors: Sequence[DomainError],
    rejected: Sequence[str],
    missing: Sequence[str],
    settings: Settings,
    pending: Sequence[str] = (),
) -> str:
    """The answer to a reply that brought details: what was kept, what waits for an officer's
    confirmation (named, never repeated), what was wrong or too large, and what is missing."""
    bodies: dict[str, str] = {}
    for language in LANGUAGES:
        parts = []
        if changed:
            names = ", ".join(t(f"mail.label.{name}", language) for name in changed)
            parts.append(
                t("mail.details_received", language, reference=case.reference, fields=names)
            )
        if pending:
            names = ", ".join(t(f"mail.label.{name}", language) for name in pending)
            parts.append(t("mailsafe.identity_pending", language, fields=names))
        if errors:
            parts.append(_invalid(errors, language))
        if rejected:
            parts.append(rejected_attachments_note(rejected, language, settings))
        if changed and not missing:
            parts.append(t("mail.details_complete", language, reference=case.reference))
        bodies[language] = "\n\n".join(parts)
    return _with_template(bodies, missing)


def _since_midnight(now: dt.datetime, settings: Settings) -> dt.datetime:
    return local_midnight(now.astimezone(settings.tz).date(), settings.tz)


def _auto_replies(since: dt.datetime) -> tuple[Any, ...]:
    """The WHERE clause of the automatic answers by email since `since`."""
    return (
        OutboxMessage.channel == Channel.EMAIL.value,
        col(OutboxMessage.purpose).in_(AUTO_REPLY_PURPOSES),
        col(OutboxMessage.created_at) >= since,
    )


async def auto_replies_today(
    session: AsyncSession, address: str, now: dt.datetime, settings: Settings
) -> int:
    """How many automatic answers went to `address` since local midnight."""
    stmt = select(func.count()).where(
        OutboxMessage.recipient == normalise_contact(ContactKind.EMAIL, address),
        *_auto_replies(_since_midnight(now, settings)),
    )
    return int((await session.exec(stmt)).one())


SentToday = Prefetched[tuple[str, dt.datetime], int]


async def auto_replies_of(
    session: AsyncSession, addresses: Iterable[str], now: dt.datetime, settings: Settings
) -> SentToday:
    """`auto_replies_today` of each address with one query (a batch of mails asks it once),
    each count given out once (bot.intake.lookahead.Prefetched): an address's next mail of the
    batch counts anew, the batch's own answers included."""
    since = _since_midnight(now, settings)
    wanted = sorted({normalise_contact(ContactKind.EMAIL, a) for a in addresses})
    counts: dict[tuple[str, dt.datetime], int | None] = {(a, since): 0 for a in wanted}
    for start in range(0, len(wanted), 500):
        stmt = (
            select(OutboxMessage.recipient, func.count())
            .where(col(OutboxMessage.recipient).in_(wanted[start : start + 500]))
            .where(*_auto_replies(since))
            .group_by(col(OutboxMessage.recipient))
        )
        for recipient, n in (await session.exec(stmt)).all():
            counts[(recipient, since)] = int(n)
    return Prefetched(counts)


def _auto_payload(case: Case, in_reply_to: str | None, letters: Sequence[str]) -> dict[str, Any]:
    """Sender instructions (channels/email/sender.py): threading, signed Reply-To, RFC 3834."""
    return {
        "in_reply_to": in_reply_to,
        "reply_token_case": case.reference,
        "auto_submitted": True,
        **({"letters": list(letters)} if letters else {}),
    }


class MailAnswers:
    """The answers to one mail (`in_reply_to` its Message-ID; `details_key` unique to it).

    After intake, `withheld` says why a new case's sender got no acknowledgement, if they did
    not (NO_REPLY_REQUESTED, REPLY_CAPPED)."""

    def __init__(
        self,
        settings: Settings,
        *,
        in_reply_to: str | None,
        no_reply: bool,
        details_key: str,
        sent_today: SentToday | None = None,
    ) -> None:
        self.settings, self.in_reply_to = settings, in_reply_to
        self.no_reply, self.details_key = no_reply, details_key
        self.sent_today = sent_today or Prefetched()
        self.withheld: str | None = None

    async def _capped(self, session: AsyncSession, address: str, now: dt.datetime) -> bool:
        key = (normalise_contact(ContactKind.EMAIL, address), _since_midnight(now, self.settings))
        known, sent = self.sent_today.take(key)
        if not known or sent is None:
            sent = await auto_replies_today(session, address, now, self.settings)
        return sent >= self.settings.mail_ack_per_sender_per_day

    async def acknowledgement(self, session: AsyncSession, facts: Acknowledged) -> Reply | None:
        """The bilingual proof of request with its receipt PDF and the template of what is
        missing (also while fields are missing: the number is the proof); none when withheld."""
        self.withheld = None
        if self.no_reply:
            self.withheld = NO_REPLY_REQUESTED
            return None
        if await self._capped(session, facts.sender, facts.now):
            self.withheld = REPLY_CAPPED
            return None
        case = facts.case
        return Reply(
            purpose=Purpose.ACKNOWLEDGEMENT,
            dedup_key=f"ack:{case.reference}",
            subject=t("mail.ack_subject", "id", reference=case.reference),
            body=acknowledgement_email(
                case, facts.missing, facts.rejected_attachments, self.settings, facts.field_errors
            ),
            recipient=normalise_contact(ContactKind.EMAIL, facts.sender),
            payload=_auto_payload(case, self.in_reply_to, intake_receipt_letters(case)),
        )

    async def details_taken(self, session: AsyncSession, facts: DetailsTaken) -> Reply | None:
        """What was kept, refused, waits for an officer or is still missing (within the cap)."""
        if self.no_reply or await self._capped(session, facts.sender, facts.now):
            return None
        case = facts.case
        body = details_email(case, facts.changed, facts.field_errors, facts.rejected_attachments,
                             facts.missing, self.settings, pending=facts.pending)  # fmt: skip
        return Reply(
            purpose=Purpose.MAIL_DETAILS_RECEIVED,
            dedup_key=self.details_key[:255],
            subject=t("mail.details_subject", "id", reference=case.reference),
            body=body,
            recipient=normalise_contact(ContactKind.EMAIL, facts.sender),
            payload=_auto_payload(case, self.in_reply_to, ()),
        )


async def queue_acknowledgement(
    session: AsyncSession,
    *,
    case: Case,
    recipient: str,
    in_reply_to: str | None,
    rejected: Sequence[str],
    errors: Sequence[DomainError],
    now: dt.datetime,
    settings: Settings,
) -> bool:
    """Queue the acknowledgement of a case an officer opened from the review queue, as intake
    would have (once per case, within the per-sender cap); True if it was queued."""
    answers = MailAnswers(settings, in_reply_to=in_reply_to, no_reply=False, details_key="")
    facts = Acknowledged(case, recipient, in_reply_to or "", "id", now,
                         tuple(await missing_fields(session, case)), tuple(rejected),
                         tuple(errors))  # fmt: skip
    reply = await answers.acknowledgement(session, facts)
    if reply is None:
        return False
    return await queue_reply(
        session, reply, channel=Channel.EMAIL.value, recipient=recipient, case_id=case.id, now=now
    )
