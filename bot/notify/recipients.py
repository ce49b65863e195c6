"""Who an outbound message goes to: requesters on their channel, officers by case or by role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.intake.requesters import contacts_of
from store.enums import (
    CHANNEL_OF_CONTACT,
    OFFICERS_CHAT_CHANNEL,
    Channel,
    ContactKind,
    Direction,
    Role,
)
from store.models import Case, Contact, Message, Officer, Unit


@dataclass(frozen=True)
class Recipient:
    """One address on one channel, the language to write in, and a stable key for dedup keys."""

    channel: str
    address: str
    language: str
    key: str


def officer_recipient(officer: Officer) -> Recipient | None:
    """An officer's private chat, else their email; None when they have neither."""
    if officer.private_chat_id is not None:
        address, channel = str(officer.private_chat_id), OFFICERS_CHAT_CHANNEL
    elif officer.email:
        address, channel = officer.email, Channel.EMAIL
    else:
        return None
    return Recipient(channel.value, address, officer.language, f"officer{officer.id}")


def chat_recipient(chat_id: int, language: str) -> Recipient:
    """An officers' group chat (a unit's or the desk's), on the officers' chat channel."""
    return Recipient(OFFICERS_CHAT_CHANNEL.value, str(chat_id), language, f"chat{chat_id}")


def unit_recipient(unit: Unit, language: str) -> Recipient | None:
    """A unit's officer group chat, else its email; None when it has neither."""
    if unit.officers_chat_id is not None:
        address, channel = str(unit.officers_chat_id), OFFICERS_CHAT_CHANNEL
    elif unit.email:
        address, channel = unit.email, Channel.EMAIL
    else:
        return None
    return Recipient(channel.value, address, language, f"unit{unit.id}")


async def role_recipients(
    session: AsyncSession, roles: tuple[Role, ...] | list[Role]
) -> list[Recipient]:
    """Every reachable active officer holding one of `roles` (among others, maybe), in id order."""
    wanted = frozenset(roles)
    # Filtered here, not in SQL: the roles besides the first are a JSON list, and a body has
    # tens of officers, not thousands.
    stmt = select(Officer).where(col(Officer.active)).order_by(col(Officer.id))
    holders = [o for o in (await session.exec(stmt)).all() if o.roles & wanted]
    found = [officer_recipient(o) for o in holders]
    return [r for r in found if r is not None]


async def case_team(session: AsyncSession, case: Case, language: str) -> list[Recipient]:
    """Who works `case`: its assigned officer, else its unit chat, else the front desk
    (admins and the PPID Utama) for a case not yet disposed to anyone.
    """
    if case.assigned_officer_id is not None:
        officer = await session.get(Officer, case.assigned_officer_id)
        if officer is not None and officer.active and (r := officer_recipient(officer)):
            return [r]
    if case.unit_id is not None:
        unit = await session.get(Unit, case.unit_id)
        if unit is not None and (r := unit_recipient(unit, language)):
            return [r]
    return await role_recipients(session, (Role.ADMIN, Role.PPID_UTAMA))


async def requester_recipient(session: AsyncSession, case: Case) -> Recipient | None:
    """The requester's contact on the case's own channel if it works, else any working contact
    on a channel Loket can send on; None when there is none (e.g. only a phone number).
    """
    if case.requester_id is None:
        return None
    usable = [
        (c, channel)
        for c in await contacts_of(session, case.requester_id)
        if not c.failing and (channel := await _channel_of(session, c, case)) is not None
    ]
    usable.sort(key=lambda pair: pair[1] != case.channel)
    if not usable:
        return None
    contact, channel = usable[0]
    return Recipient(channel.value, contact.value, case.language, f"contact{contact.id}")


async def _channel_of(session: AsyncSession, contact: Contact, case: Case) -> Channel | None:
    """The channel Loket may write to `contact` on. A phone number is written to on WhatsApp
    only for a WhatsApp case whose citizen wrote to us on WhatsApp from it (issue 12): a number
    given at the desk or by telephone is no consent to WhatsApp messages, and a case staff
    typed in from a WhatsApp chat may be on a deployment without the WhatsApp channel."""
    if contact.kind == ContactKind.PHONE and case.channel == Channel.WHATSAPP:
        wrote = select(Message.id).where(
            Message.channel == Channel.WHATSAPP.value,
            Message.direction == Direction.INBOUND.value,
            Message.sender == contact.value,
        )
        return Channel.WHATSAPP if (await session.exec(wrote.limit(1))).first() else None
    return CHANNEL_OF_CONTACT.get(ContactKind(contact.kind))
