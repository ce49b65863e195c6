"""Finding and creating requesters by how they reach us."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.together import CONTACT_KINDS, write_later, write_now
from bot.errors import DomainError
from bot.intake.validation import clean_name, normalise_phone, validate_email, validate_nik
from store.enums import ContactKind
from store.models import Contact, Requester

# The contact kinds of the requesters a transaction taken together created (bot.cases.together)
# are kept as their contacts are added, so that what such a requester still misses is known
# without reading their contacts back.


def _note_kind(session: AsyncSession, requester_id: int | None, kind: str, *, new: bool) -> None:
    known: dict[int, set[str]] | None = session.info.get(CONTACT_KINDS)
    if known is None or requester_id is None:
        return
    if new:
        known[requester_id] = {kind}
    elif requester_id in known:
        known[requester_id].add(kind)


def count_contact_kinds(session: AsyncSession) -> None:
    """For the rest of `session`'s transaction, keep the contact kinds of the requesters it
    creates, as a transaction taken together does: a new requester's case then knows what it
    misses without reading their contacts back (a requester read from the store is read)."""
    session.info.setdefault(CONTACT_KINDS, {})


def note_contact_kinds(session: AsyncSession, kinds: dict[int, set[str]]) -> None:
    """In a transaction taken together, remember the contact kinds of requesters read from the
    store (`kinds`: requester id -> every kind it has), so that their missing fields are
    computed without reading their contacts again (a contact the transaction adds is noted)."""
    known: dict[int, set[str]] | None = session.info.get(CONTACT_KINDS)
    if known is None:
        return
    for requester_id, its_kinds in kinds.items():
        known.setdefault(requester_id, set(its_kinds))


def known_contact_kinds(session: AsyncSession, requester_id: int | None) -> set[str] | None:
    """The kinds of the contacts of a requester created in this transaction taken together (or
    noted by `note_contact_kinds`), or None when they are to be read from the store."""
    known: dict[int, set[str]] | None = session.info.get(CONTACT_KINDS)
    if known is None or requester_id is None:
        return None
    return known.get(requester_id)


def normalise_contact(kind: ContactKind | str, value: str) -> str:
    """The form a contact is stored and matched in.

    Emails compare case-insensitively; phone numbers in E.164 when they are valid, so the
    desk's `0812-3456-7890` and a chat app's `6281234567890` are the same person.
    """
    value = value.strip()
    if ContactKind(kind) == ContactKind.EMAIL:
        return value.lower()
    if ContactKind(kind) == ContactKind.PHONE:
        try:
            return normalise_phone(value)
        except DomainError:
            return value
    return value


async def find_requester(
    session: AsyncSession, kind: ContactKind | str, value: str
) -> Requester | None:
    """The requester who owns this contact, if any."""
    values = {"kind": ContactKind(kind).value, "value": normalise_contact(kind, value)}
    return (await session.exec(_OWNER_OF_CONTACT, params=values)).first()


# Built once: intake looks up every sender by it.
_OWNER_OF_CONTACT = (
    select(Requester)
    .join(Contact, Contact.requester_id == Requester.id)
    .where(Contact.kind == bindparam("kind"), Contact.value == bindparam("value"))
)


async def add_contact(
    session: AsyncSession, requester: Requester, kind: ContactKind | str, value: str
) -> Contact:
    """Attach a contact to `requester` (no-op if it is already stored) and return it as stored."""
    await add_contacts(session, requester, [(kind, value)])
    norm = normalise_contact(kind, value)
    stmt = select(Contact).where(Contact.kind == ContactKind(kind).value, Contact.value == norm)
    return (await session.exec(stmt)).one()


async def add_contacts(
    session: AsyncSession, requester: Requester, contacts: Sequence[tuple[ContactKind | str, str]]
) -> None:
    """Attach contacts to `requester` with one lookup and at most one INSERT: a contact
    already stored (theirs, or, as always, someone else's: never moved) is left as it is."""
    wanted = dict.fromkeys(
        (ContactKind(kind).value, normalise_contact(kind, value)) for kind, value in contacts
    )  # in the order given, each once
    if not wanted:
        return
    pairs = [and_(Contact.kind == kind, Contact.value == value) for kind, value in wanted]
    stored = (await session.exec(select(Contact.kind, Contact.value).where(or_(*pairs)))).all()
    known = {(kind, value) for kind, value in stored}
    new = [pair for pair in wanted if pair not in known]
    if not new:
        return
    rows = [
        Contact(requester_id=requester.id, kind=kind, value=value).model_dump(exclude={"id"})  # type: ignore[arg-type]
        for kind, value in new
    ]
    table = Contact.__table__  # type: ignore[attr-defined]
    await (await session.connection()).execute(insert(table), rows)  # one statement for all
    for kind, _value in new:
        _note_kind(session, requester.id, kind, new=False)


def clean_value(value: Any) -> Any:
    """A detail's value as kept: a text stripped of surrounding space, anything else as is."""
    return value.strip() if isinstance(value, str) else value


def set_own_fields(requester: Requester, details: Mapping[str, Any]) -> list[str]:
    """Set the requester's own fields that `details` gives a value (name, SK number, address,
    occupation; the NIK validated, else DomainError); return the names set."""
    changed: list[str] = []
    for key in ("name", "entity_sk_number", "address", "occupation"):
        value = clean_value(details.get(key))
        if key == "name" and isinstance(value, str):  # shown on cards: no invisible characters
            value = clean_name(value)
        if value:
            setattr(requester, key, value)
            changed.append(key)
    if clean_value(details.get("nik")):
        requester.nik = validate_nik(details["nik"])
        changed.append("nik")
    return changed


async def find_or_create_requester(
    session: AsyncSession,
    kind: ContactKind | str,
    value: str,
    *,
    name: str | None = None,
    language: str = "id",
    looked_up: tuple[bool, Requester | None] = (False, None),
    details: Mapping[str, Any] | None = None,
) -> Requester:
    """The requester owning the contact, created (with that contact) if unknown; `looked_up`
    (True, owner) when the caller has looked the owner up already (bot.intake.lookahead).
    A new requester is written with their own fields from `details` (`set_own_fields`): the
    details of the case they open, so the row is not written twice."""
    known, requester = looked_up
    if not known:
        requester = await find_requester(session, kind, value)
    name = clean_name(name)
    if requester is None:
        requester = Requester(name=name, language=language)
        set_own_fields(requester, details or {})
        await write_now(session, requester)
        # Nobody owns the contact (find_requester found no one), so no lookup before adding it;
        # it is written with the transaction's next flush (a race with another first message of
        # the same sender meets its unique key there, still in the caller's transaction).
        norm = normalise_contact(kind, value)
        write_later(session, Contact(requester_id=requester.id, kind=ContactKind(kind).value,
                                     value=norm))  # type: ignore[arg-type]  # fmt: skip
        _note_kind(session, requester.id, ContactKind(kind).value, new=True)
    elif name and not requester.name:
        requester.name = name
        session.add(requester)
    return requester


async def contacts_of(session: AsyncSession, requester_id: int) -> list[Contact]:
    """Every contact of a requester, oldest first."""
    stmt = select(Contact).where(Contact.requester_id == requester_id).order_by(Contact.id)  # type: ignore[arg-type]
    return list((await session.exec(stmt)).all())


async def requester_at_desk(
    session: AsyncSession, phone: str | None, email: str | None, name: str | None
) -> Requester:
    """The requester who already owns this phone or email, else a new one (flushed); a
    malformed phone or email is refused (DomainError) before any record is made.

    A citizen who comes back to the desk keeps one record: contacts are unique, so a new record
    could not take their contact, the case would look incomplete and their proof of request
    would reach no one.
    """
    given = (
        (ContactKind.PHONE, normalise_phone(phone) if phone and phone.strip() else None),
        (ContactKind.EMAIL, validate_email(email) if email and email.strip() else None),
    )
    for kind, value in given:
        if value:
            found = await find_requester(session, kind, value)
            if found is not None:
                return found
    requester = Requester(name=name)
    session.add(requester)
    await session.flush()
    return requester
