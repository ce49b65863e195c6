"""What a message that can never be delivered leads to: the contact is marked failing and the
PPID Utama and admins are told, so a person can reach the requester another way.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import t
from bot.intake.requesters import normalise_contact
from bot.notify.outbox import notify
from bot.notify.purposes import Purpose
from bot.notify.recipients import role_recipients
from bot.notify.send_windows import next_office_time
from bot.privacy.masking import mask_email, redact
from bot.workflow.rules import Rules
from store.enums import CHANNEL_OF_CONTACT, Channel, ContactKind, Role
from store.models import Case, Contact, OutboxMessage

_CONTACT_OF_CHANNEL = {
    **{channel.value: kind for kind, channel in CHANNEL_OF_CONTACT.items()},
    Channel.WHATSAPP.value: ContactKind.PHONE,  # a WhatsApp id is the citizen's phone number
}


def mask_address(channel: str, address: str) -> str:
    """An address fit for an officers' chat: email masked, chat ids cut to their last digits."""
    if channel == Channel.EMAIL:
        return mask_email(address)
    return "*" * max(len(address) - 3, 0) + address[-3:]


async def mark_contact_failing(
    session: AsyncSession, channel: str, address: str, reason: str, now: dt.datetime
) -> Contact | None:
    """Flag the requester contact behind (channel, address) as failing; None if it is none."""
    kind = _CONTACT_OF_CHANNEL.get(channel)
    if kind is None:
        return None
    stmt = select(Contact).where(
        Contact.kind == kind.value, Contact.value == normalise_contact(kind, address)
    )
    contact = (await session.exec(stmt)).first()
    if contact is None:
        return None
    contact.failing, contact.failing_reason = True, redact(reason)[:500]
    contact.failing_since = contact.failing_since or now
    session.add(contact)
    return contact


async def report_undeliverable(
    session: AsyncSession,
    message: OutboxMessage,
    reason: str,
    rules: Rules,
    now: dt.datetime,
    *,
    blame_contact: bool,
) -> int:
    """Tell the PPID Utama and admins that `message` will not be delivered (one notice each).

    With `blame_contact` (the channel refused the address for good: a blocked bot, a mailbox
    that does not exist) the requester's contact is also marked failing, so updates go to
    another contact. Notices go out in office hours; a notice that itself fails raises no
    further notice (no loops).
    Returns how many notices were queued.
    """
    contact = None
    if blame_contact:
        contact = await mark_contact_failing(
            session, message.channel, message.recipient, reason, now
        )
    if message.purpose == Purpose.DELIVERY_FAILED_NOTICE:
        return 0
    case = await session.get(Case, message.case_id) if message.case_id else None
    queued = 0
    for officer in await role_recipients(session, (Role.PPID_UTAMA, Role.ADMIN)):
        queued += await notify(
            session,
            purpose=Purpose.DELIVERY_FAILED_NOTICE,
            recipient=officer,
            key="sched.delivery_failed_contact" if contact else "sched.delivery_failed",
            params={
                "reference": case.reference if case else "-",
                "channel": message.channel,
                "address": mask_address(message.channel, message.recipient),
                "reason": redact(reason)[:300],
            },
            subject=t("sched.delivery_failed_subject", officer.language),
            case=case,
            dedup_key=f"failed:{message.id}:{message.attempts}:{officer.key}",
            now=now,
            not_before=next_office_time(now, rules),
        )
    return queued
