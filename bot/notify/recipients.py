"""Who an outbound message goes to: requesters on their channel, officers by case or by role."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

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


FRONT_DESK = (Role.ADMIN, Role.PPID_UTAMA)  # who hears of a case not yet disposed to anyone


def _holders(officers: Iterable[Officer], roles: Iterable[Role]) -> list[Recipient]:
    wanted = frozenset(roles)
    found = [officer_recipient(o) for o in officers if o.active and o.roles & wanted]
    return [r for r in found if r is not None]


async def _officers(session: AsyncSession) -> list[Officer]:
    return list((await session.exec(select(Officer).order_by(col(Officer.id)))).all())


async def role_recipients(
    session: AsyncSession, roles: tuple[Role, ...] | list[Role]
) -> list[Recipient]:
    """Every reachable active officer holding one of `roles` (among others, maybe), in id order."""
    # Filtered here, not in SQL: the roles besides the first are a JSON list, and a body has
    # tens of officers, not thousands.
    return _holders(await _officers(session), roles)


def _team(officer: Officer | None, unit: Unit | None, language: str) -> list[Recipient]:
    """The assignee if reachable, else the unit if reachable, else nobody (the caller's desk)."""
    if officer is not None and officer.active and (r := officer_recipient(officer)):
        return [r]
    if unit is not None and (r := unit_recipient(unit, language)):
        return [r]
    return []


async def case_team(session: AsyncSession, case: Case, language: str) -> list[Recipient]:
    """Who works `case`: its assigned officer, else its unit chat, else the front desk
    (admins and the PPID Utama) for a case not yet disposed to anyone.
    """
    officer = (
        await session.get(Officer, case.assigned_officer_id) if case.assigned_officer_id else None
    )
    unit = await session.get(Unit, case.unit_id) if case.unit_id is not None else None
    return _team(officer, unit, language) or await role_recipients(session, FRONT_DESK)


@dataclass(frozen=True)
class Directory:
    """Every officer and unit, read once, so a sweep resolves each case's team in memory."""

    officers: dict[int, Officer]
    units: dict[int, Unit]
    _by_roles: dict[frozenset[Role], list[Recipient]] = field(default_factory=dict)

    @classmethod
    async def load(cls, session: AsyncSession) -> Directory:
        """Read the officers and units (tens to hundreds of rows) in two queries."""
        officers = {o.id: o for o in await _officers(session) if o.id is not None}
        units = {u.id: u for u in (await session.exec(select(Unit))).all() if u.id is not None}
        return cls(officers, units)

    def role_recipients(self, roles: Iterable[Role]) -> list[Recipient]:
        """As `role_recipients`, from memory (worked out once per set of roles)."""
        wanted = frozenset(roles)
        if wanted not in self._by_roles:
            self._by_roles[wanted] = _holders(self.officers.values(), wanted)
        return list(self._by_roles[wanted])

    def case_team(
        self, assigned_officer_id: int | None, unit_id: int | None, language: str
    ) -> list[Recipient]:
        """As `case_team`, for a case with these assignee and unit ids, from memory."""
        officer = self.officers.get(assigned_officer_id) if assigned_officer_id else None
        unit = self.units.get(unit_id) if unit_id is not None else None
        return _team(officer, unit, language) or self.role_recipients(FRONT_DESK)


class RequesterCase(Protocol):
    """What choosing a requester's contact reads of a case (a Case or a selected row)."""

    id: int | None
    requester_id: int | None
    channel: str
    language: str


async def requester_recipients(
    session: AsyncSession, cases: Sequence[RequesterCase]
) -> dict[int, Recipient | None]:
    """`requester_recipient` of each case by case id, in three queries whatever their number."""
    requester_ids = sorted({c.requester_id for c in cases if c.requester_id is not None})
    contacts: dict[int, list[Any]] = defaultdict(list)
    fields = (Contact.id, Contact.requester_id, Contact.kind, Contact.value, Contact.failing)
    await session.flush()
    conn = await session.connection()
    for chunk in _chunks(requester_ids):
        stmt = select(*fields).where(col(Contact.requester_id).in_(chunk)).order_by(col(Contact.id))
        for contact in await conn.execute(stmt):
            contacts[contact.requester_id].append(contact)
    phones = sorted(
        {
            c.value
            for case in cases
            if case.channel == Channel.WHATSAPP and case.requester_id is not None
            for c in contacts[case.requester_id]
            if c.kind == ContactKind.PHONE
        }
    )
    wrote: set[str] = set()
    for chunk in _chunks(phones):
        stmt = select(Message.sender).where(
            Message.channel == Channel.WHATSAPP.value,
            Message.direction == Direction.INBOUND.value,
            col(Message.sender).in_(chunk),
        )
        wrote.update(s for s in (await session.exec(stmt.distinct())).all() if s)
    return {
        case.id: _pick(case, contacts.get(case.requester_id) or [], wrote)  # type: ignore[arg-type]
        for case in cases
        if case.id is not None
    }


async def requester_recipient(session: AsyncSession, case: Case) -> Recipient | None:
    """The requester's contact on the case's own channel if it works, else any working contact
    on a channel Loket can send on; None when there is none (e.g. only a phone number).
    """
    if case.requester_id is None or case.id is None:
        return None
    return (await requester_recipients(session, [case]))[case.id]


def _pick(case: RequesterCase, contacts: list[Any], wrote: set[str]) -> Recipient | None:
    usable = [
        (c, channel)
        for c in contacts
        if not c.failing and (channel := _channel_of(c, case, wrote)) is not None
    ]
    usable.sort(key=lambda pair: pair[1] != case.channel)
    if not usable:
        return None
    contact, channel = usable[0]
    return Recipient(channel.value, contact.value, case.language, f"contact{contact.id}")


def _channel_of(contact: Any, case: RequesterCase, wrote: set[str]) -> Channel | None:
    """The channel Loket may write to `contact` on. A phone number is written to on WhatsApp
    only for a WhatsApp case whose citizen wrote to us on WhatsApp from it (issue 12): a number
    given at the desk or by telephone is no consent to WhatsApp messages, and a case staff
    typed in from a WhatsApp chat may be on a deployment without the WhatsApp channel."""
    if contact.kind == ContactKind.PHONE and case.channel == Channel.WHATSAPP:
        return Channel.WHATSAPP if contact.value in wrote else None
    return CHANNEL_OF_CONTACT.get(ContactKind(contact.kind))


def _chunks(values: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
