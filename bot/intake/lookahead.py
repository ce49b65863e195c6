"""What intake looks up for a whole batch of messages at once, instead of once per message.

A channel that hands intake many messages in one transaction (the email backlog) asks
`look_ahead` first: one query for the messages already stored under the batch's external ids,
one for the requesters who own the batch's senders (and, in a transaction taken together, one
for the kinds of their contacts, which their new cases' missing fields are computed from).
Each answer is given out once, to the first message that asks: a later message with the same
key asks the database again, so it sees what the batch itself has written since (a second
mail from the same citizen finds the requester the first one created), and so does a message
run again after a conflict. An answer cannot go stale within the batch otherwise: a
rolled-back savepoint only removes rows the batch wrote (never one found before it), and a row
another writer adds meanwhile meets a unique key, whose conflict runs the message again with
fresh lookups.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.together import is_together
from bot.intake.requesters import normalise_contact, note_contact_kinds
from store.enums import CONTACT_OF_CHANNEL, Channel, ContactKind
from store.models import Contact, Message, Requester

K = TypeVar("K")
V = TypeVar("V")
# Values per IN (...) list of one query.
IN_CHUNK = 500


class Prefetched(Generic[K, V]):
    """Looked-up values by key (None: looked up, not there), each given out once."""

    def __init__(self, found: dict[K, V | None] | None = None) -> None:
        self._found: dict[K, V | None] = dict(found or {})

    def take(self, key: K) -> tuple[bool, V | None]:
        """(True, the value) the first time `key` is asked, else (False, None): ask anew."""
        if key not in self._found:
            return False, None
        return True, self._found.pop(key)


@dataclass
class Lookahead:
    """A batch's stored messages by (channel, external id) and requesters by their contact."""

    messages: Prefetched[tuple[str, str], Message] = field(default_factory=Prefetched)
    requesters: Prefetched[tuple[str, str], Requester] = field(default_factory=Prefetched)


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


async def look_ahead(
    session: AsyncSession, channel: Channel, external_ids: Iterable[str], senders: Iterable[str]
) -> Lookahead:
    """The messages stored under `external_ids` on `channel` and the requesters owning the
    `senders` (as that channel's contact), each with one query (per IN_CHUNK keys)."""
    ids = sorted(set(external_ids))
    messages: dict[tuple[str, str], Message | None] = {(channel.value, i): None for i in ids}
    for chunk in _chunks(ids):
        stmt = select(Message).where(
            Message.channel == channel.value, col(Message.external_id).in_(chunk)
        )
        for message in (await session.exec(stmt)).all():  # unique by (channel, external id)
            messages[(channel.value, message.external_id or "")] = message
    kind = CONTACT_OF_CHANNEL.get(channel, ContactKind.PHONE).value
    values = sorted({normalise_contact(kind, s) for s in senders})
    owners: dict[tuple[str, str], Requester | None] = {(kind, v): None for v in values}
    for chunk in _chunks(values):
        stmt = (
            select(Contact.value, Requester)
            .join(Requester, Contact.requester_id == Requester.id)  # type: ignore[arg-type]
            .where(Contact.kind == kind, col(Contact.value).in_(chunk))
        )
        for value, requester in (await session.exec(stmt)).all():  # a contact is unique
            owners[(kind, value)] = requester
    await _note_owners_contact_kinds(session, owners.values())
    return Lookahead(Prefetched(messages), Prefetched(owners))


async def _note_owners_contact_kinds(
    session: AsyncSession, owners: Iterable[Requester | None]
) -> None:
    """The kinds of the found requesters' contacts, for their new cases' missing fields (one
    query per IN_CHUNK requesters; only kept in a transaction taken together)."""
    if not is_together(session):
        return
    ids = sorted({o.id for o in owners if o is not None and o.id is not None})
    kinds: dict[int, set[str]] = {i: set() for i in ids}
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        stmt = select(Contact.requester_id, Contact.kind).where(
            col(Contact.requester_id).in_(chunk)
        )
        for requester_id, kind in (await session.exec(stmt)).all():
            kinds[requester_id].add(kind)
    note_contact_kinds(session, kinds)
