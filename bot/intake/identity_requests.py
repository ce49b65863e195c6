"""Pending identity changes of a case (issue #9): what was asked, read from the audit log.

Its own module, importing the store only, so a case card can show that a change is pending
(bot/notify/officer_cards.py) without importing the deciding side, which updates requesters
through bot.cases.opening (and so bot.notify.case_events, which imports the cards).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.privacy.masking import mask_name, mask_nik
from store.models import Case, Event

# The fields an email may ask to change, and the event that records the request. The email
# intake (channels/email/ingest.py, moving to channels/email) still declares them too until it
# imports them from here; tests/bot/test_identity_requests.py keeps the two equal meanwhile.
IDENTITY_FIELDS = ("name", "nik", "entity_sk_number")
IDENTITY_CHANGE_EVENT = "identity_change_requested"
CONFIRMED_EVENT = "identity_change_confirmed"
REJECTED_EVENT = "identity_change_rejected"
DECISION_EVENTS = (CONFIRMED_EVENT, REJECTED_EVENT)

_MASKERS: dict[str, Callable[[str], str]] = {
    "name": mask_name,
    "nik": mask_nik,
    "entity_sk_number": lambda v: "*" * max(len(v) - 3, 0) + v[-3:],
}


@dataclass(frozen=True)
class IdentityRequest:
    """One pending identity change: its number (the event id), when it came, what it asks."""

    number: int
    at: dt.datetime
    channel: str
    fields: dict[str, str]

    def shown(self, *, reveal: bool) -> dict[str, Any]:
        """The request for display or JSON; values masked unless `reveal`."""
        values = {
            k: v if reveal else _MASKERS.get(k, lambda _: "***")(v) for k, v in self.fields.items()
        }
        return {"number": self.number, "at": self.at, "channel": self.channel, "fields": values}


async def identity_events(
    session: AsyncSession, case: Case, actions: tuple[str, ...]
) -> list[Event]:
    """The events of `case` with one of `actions`, oldest first."""
    stmt = (
        select(Event)
        .where(Event.case_id == case.id, col(Event.action).in_(actions))
        .order_by(col(Event.id))
    )
    return list((await session.exec(stmt)).all())


async def decided_requests(session: AsyncSession, case: Case) -> set[int]:
    """The numbers of the requests of `case` an officer has confirmed or rejected."""
    return _decided(await identity_events(session, case, DECISION_EVENTS))


def _decided(events: list[Event]) -> set[int]:
    """The request numbers the decision events among `events` decided."""
    return {int(e.data.get("request", 0)) for e in events if e.action in DECISION_EVENTS}


async def pending_identity_changes(session: AsyncSession, case: Case) -> list[IdentityRequest]:
    """The identity change requests of `case` no officer has decided yet, oldest first (the
    requests and the decisions read in one query: every case card asks)."""
    events = await identity_events(session, case, (IDENTITY_CHANGE_EVENT, *DECISION_EVENTS))
    decided = _decided(events)
    return [
        IdentityRequest(
            number=int(e.id or 0),
            at=e.at,
            channel=str(e.data.get("channel", "")),
            fields={k: str(v) for k, v in (e.data.get("fields") or {}).items()},
        )
        for e in events
        if e.action == IDENTITY_CHANGE_EVENT and e.id not in decided
    ]
