"""What Loket writes back to email senders, and how it reads the details they send.

The acknowledgement is Indonesian with English below (the reader's language is unknown) and
ends with a "Field: value" template of the required fields still missing; the requester fills
it in by replying, and `parse_fields` reads those lines back. Every automatic answer counts
against MAIL_ACK_PER_SENDER_PER_DAY, so a misbehaving sender can never start a mail loop.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.opening import DELIVERY_METHODS, OBTAIN_METHODS, missing_fields
from bot.clock import local_midnight
from bot.errors import DomainError
from bot.i18n import LANGUAGES, in_both_languages, t
from bot.intake.door import acknowledgement_text, rejected_attachments_note
from bot.intake.requesters import normalise_contact
from bot.intake.validation import normalise_phone, validate_email, validate_nik
from bot.letters.outbox import intake_receipt_letters
from bot.notify.outbox import enqueue
from bot.settings import Settings
from store.enums import Channel, ContactKind
from store.models import Case, OutboxMessage

ACK_PURPOSE = "acknowledgement"
DETAILS_PURPOSE = "mail_details_received"
AUTO_REPLY_PURPOSES = (ACK_PURPOSE, DETAILS_PURPOSE)

# The template rows, in form order. A missing required field (bot.cases.opening.missing_fields) is
# asked for by the row of the same name; "contact" is asked for as a phone number.
TEMPLATE_ROWS = (
    "name",
    "identity",
    "address",
    "phone",
    "information_requested",
    "purpose",
    "obtain_method",
    "delivery_method",
)
_ROW_OF_MISSING = {"contact": "phone"}
_FREE_TEXT_ROWS = frozenset({"address", "information_requested", "purpose"})
# Words people use for a field besides the template's own labels (matched in lower case).
_LABEL_ALIASES = {
    "nama": "name",
    "name": "name",
    "nik": "identity",
    "no ktp": "identity",
    "nomor ktp": "identity",
    "nomor sk": "identity",
    "no sk": "identity",
    "telepon": "phone",
    "no telepon": "phone",
    "telp": "phone",
    "no telp": "phone",
    "hp": "phone",
    "no hp": "phone",
    "nomor hp": "phone",
    "whatsapp": "phone",
    "wa": "phone",
    "phone": "phone",
    "email": "email",
    "e-mail": "email",
    "pekerjaan": "occupation",
    "occupation": "occupation",
    "informasi yang diminta": "information_requested",
    "rincian informasi yang diminta": "information_requested",
    "tujuan": "purpose",
    "tujuan penggunaan informasi": "purpose",
    "cara memperoleh informasi": "obtain_method",
    "cara mengirim informasi": "delivery_method",
    "cara mendapatkan salinan": "delivery_method",
}
MAX_LABEL_CHARS = 80


@dataclass(frozen=True)
class ParsedFields:
    """Details found in "Field: value" lines, what was wrong with others, and the other text."""

    values: dict[str, str] = field(default_factory=dict)
    errors: tuple[DomainError, ...] = ()
    rest: str = ""


@cache
def _labels() -> dict[str, str]:
    labels = dict(_LABEL_ALIASES)
    for row in TEMPLATE_ROWS:
        for language in LANGUAGES:
            labels[t(f"mail.label.{row}", language).lower()] = row
    return labels


def _row_of(label: str) -> str | None:
    label = re.sub(r"\(.*?\)", "", label).lower()
    for part in label.split("/"):
        row = _labels().get(" ".join(part.replace(".", " ").split()))
        if row:
            return row
    return None


def _choice(value: str, choices: Sequence[str], error_key: str) -> str:
    norm = re.sub(r"[\s-]+", "_", value.strip().lower())
    for candidate in (norm, f"salinan_{norm}"):
        if candidate in choices:
            return candidate
    raise DomainError(error_key, choices=", ".join(c.replace("_", " ") for c in choices))


def _validated(row: str, value: str) -> dict[str, str]:
    """The detail(s) one filled-in row stands for; raises DomainError for an invalid value."""
    if row == "identity":
        if re.fullmatch(r"[\d\s.-]+", value):
            return {"nik": validate_nik(value)}
        return {"entity_sk_number": value[:128]}
    if row == "phone":
        return {"phone": normalise_phone(value)}
    if row == "email":
        return {"email": validate_email(value)}
    if row == "obtain_method":
        return {row: _choice(value, OBTAIN_METHODS, "fields.obtain_method_invalid")}
    if row == "delivery_method":
        return {row: _choice(value, DELIVERY_METHODS, "fields.delivery_method_invalid")}
    return {row: value if row in _FREE_TEXT_ROWS else value[:255]}


def _field_line(line: str) -> tuple[str | None, str]:
    """The label and value of a "Label: value" line, found in time linear in the line (a
    backtracking pattern took seconds on a long line of spaces, on the event loop)."""
    head, colon, value = line.partition(":")
    label = head.strip()
    if not colon or not 2 <= len(label) <= MAX_LABEL_CHARS:
        return None, ""
    return label, value.strip()


def parse_fields(text: str) -> ParsedFields:
    """Read "Field: value" lines (template labels in either language, or common synonyms).

    Free-text fields continue on the following lines up to a blank line. Rows left empty are
    ignored; invalid values are reported, not stored.
    """
    collected: dict[str, str] = {}
    rest: list[str] = []
    current: str | None = None
    for line in (text or "").splitlines():
        label, value = _field_line(line)
        row = _row_of(label) if label else None
        if row:
            current = row if row in _FREE_TEXT_ROWS else None
            if value:
                collected[row] = value
            continue
        if current and line.strip() and current in collected:
            collected[current] += "\n" + line.strip()
            continue
        current = None
        rest.append(line)
    values: dict[str, str] = {}
    errors: list[DomainError] = []
    for row, value in collected.items():
        try:
            values.update(_validated(row, value))
        except DomainError as exc:
            errors.append(exc)
    return ParsedFields(values, tuple(errors), "\n".join(rest).strip())


def field_template(missing: Sequence[str]) -> str:
    """Empty "Label / Label: " lines for the missing required fields, ready to be filled in."""
    rows = [_ROW_OF_MISSING.get(name, name) for name in missing]
    lines = []
    for row in TEMPLATE_ROWS:
        if row in rows:
            lines.append(f"{t(f'mail.label.{row}', 'id')} / {t(f'mail.label.{row}', 'en')}: ")
            if row in ("obtain_method", "delivery_method"):
                lines += [f"  ({t(f'mail.choices.{row}', language)})" for language in LANGUAGES]
    return "\n".join(lines)


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


async def auto_replies_today(
    session: AsyncSession, address: str, now: dt.datetime, settings: Settings
) -> int:
    """How many automatic answers went to `address` since local midnight."""
    since = local_midnight(now.astimezone(settings.tz).date(), settings.tz)
    stmt = select(func.count()).where(
        OutboxMessage.channel == Channel.EMAIL.value,
        OutboxMessage.recipient == normalise_contact(ContactKind.EMAIL, address),
        col(OutboxMessage.purpose).in_(AUTO_REPLY_PURPOSES),
        col(OutboxMessage.created_at) >= since,
    )
    return int((await session.exec(stmt)).one())


async def queue_auto_reply(
    session: AsyncSession,
    *,
    case: Case,
    recipient: str,
    purpose: str,
    subject: str,
    body: str,
    in_reply_to: str | None,
    dedup_key: str,
    now: dt.datetime,
    settings: Settings,
    letters: Sequence[str] = (),
) -> bool:
    """Queue an automatic answer (Auto-Submitted, signed Reply-To) unless the sender already got
    MAIL_ACK_PER_SENDER_PER_DAY today; True if it was queued. `letters` (kinds of bot.letters)
    are attached as PDF, rendered by the sender when it sends."""
    if await auto_replies_today(session, recipient, now, settings) >= (
        settings.mail_ack_per_sender_per_day
    ):
        return False
    return await enqueue(
        session,
        dedup_key=dedup_key,
        channel=Channel.EMAIL.value,
        recipient=normalise_contact(ContactKind.EMAIL, recipient),
        purpose=purpose,
        subject=subject,
        body=body,
        case_id=case.id,
        now=now,
        payload={
            "in_reply_to": in_reply_to,
            "reply_token_case": case.reference,
            "auto_submitted": True,
            **({"letters": list(letters)} if letters else {}),
        },
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
    """Queue the acknowledgement of a new case (once per case, within the per-sender cap), its
    receipt attached as PDF, also while fields are missing (the number is the proof)."""
    body = acknowledgement_email(
        case, await missing_fields(session, case), rejected, settings, errors
    )
    return await queue_auto_reply(
        session,
        case=case,
        recipient=recipient,
        purpose=ACK_PURPOSE,
        subject=t("mail.ack_subject", "id", reference=case.reference),
        body=body,
        in_reply_to=in_reply_to,
        dedup_key=f"ack:{case.reference}",
        now=now,
        settings=settings,
        letters=intake_receipt_letters(case),
    )
