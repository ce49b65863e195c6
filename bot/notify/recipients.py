"""Who an outbound message goes to: requesters on their channel, officers by case or by role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.intake.requesters import contacts_of
from store.enums import Channel, ContactKind, Role
from store.models import Case, Contact, Officer, Unit

# The contact kinds a sender exists for, and the channel that delivers each.
CHANNEL_OF_CONTACT = {ContactKind.TELEGRAM: Channel.TELEGRAM, ContactKind.EMAIL: Channel.EMAIL}


@dataclass(frozen=True)
class Recipient:
    """One address on one channel, the language to write in, and a stable key for dedup keys."""

    channel: str
    address: str
    language: str
    key: str


def officer_recipient(officer: Officer) -> Recipient | None:
    """An officer's private Telegram chat, else their email; None when they have neither."""
    if officer.telegram_user_id is not None:
        address, channel = str(officer.telegram_user_id), Channel.TELEGRAM
    elif officer.email:
        address, channel = officer.email, Channel.EMAIL
    else:
        return None
    return Recipient(channel.value, address, officer.language, f"officer{officer.id}")


def chat_recipient(chat_id: int, language: str) -> Recipient:
    """An officers' group chat. Those are Telegram chats today: a unit's chat and the desk's
    (TELEGRAM_DESK_CHAT_ID) are stored as Telegram chat ids."""
    return Recipient(Channel.TELEGRAM.value, str(chat_id), language, f"chat{chat_id}")


def unit_recipient(unit: Unit, language: str) -> Recipient | None:
    """A unit's officer group chat, else its email; None when it has neither."""
    if unit.telegram_chat_id is not None:
        address, channel = str(unit.telegram_chat_id), Channel.TELEGRAM
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
        c
        for c in await contacts_of(session, case.requester_id)
        if not c.failing and c.kind in CHANNEL_OF_CONTACT
    ]
    usable.sort(key=lambda c: CHANNEL_OF_CONTACT[ContactKind(c.kind)] != case.channel)
    if not usable:
        return None
    contact: Contact = usable[0]
    channel = CHANNEL_OF_CONTACT[ContactKind(contact.kind)]
    return Recipient(channel.value, contact.value, case.language, f"contact{contact.id}")
