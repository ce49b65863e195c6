"""Details a reply brings to its own case, on any channel: the missing fields it fills in
complete the case; who the requester is (name, NIK, SK number) changes only with an officer.

Filling in an identity field that is still empty is what the acknowledgement asked for; a
change of a name, NIK or SK number already on record is recorded as a pending change (an event
officers see on the case, bot.intake.identity_changes) and never applied by a message (issue #9).
A case that no longer takes details keeps as it was.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import record_event, requester_actor
from bot.cases.opening import update_details
from bot.errors import DomainError
from bot.intake.identity_requests import IDENTITY_CHANGE_EVENT, IDENTITY_FIELDS
from bot.workflow.rules import Rules
from store.models import Case, Requester

log = logging.getLogger(__name__)


async def _identity_changes(
    session: AsyncSession, case: Case, values: Mapping[str, Any]
) -> dict[str, str]:
    """The identity fields in `values` that would replace a value the requester already has."""
    requester = await session.get(Requester, case.requester_id) if case.requester_id else None
    if requester is None:
        return {}
    changes = {}
    for key in IDENTITY_FIELDS:
        current, wanted = getattr(requester, key), values.get(key)
        if wanted and current and " ".join(str(current).split()) != " ".join(str(wanted).split()):
            changes[key] = wanted
    return changes


async def fill_in(
    session: AsyncSession,
    case: Case,
    values: Mapping[str, Any],
    *,
    channel: str,
    rules: Rules,
    now: dt.datetime,
) -> tuple[list[str], list[str]]:
    """Apply the details a reply from the case's requester carries; return the fields set and
    the identity fields kept for an officer to confirm (see the module docstring)."""
    if not values:
        return [], []
    pending = await _identity_changes(session, case, values)
    wanted = {k: v for k, v in values.items() if k not in pending}
    actor = requester_actor(case.requester_id)
    if pending:
        await record_event(
            session,
            case_id=case.id,
            actor=actor,
            action=IDENTITY_CHANGE_EVENT,
            at=now,
            data={"fields": pending, "channel": channel},
        )
    if not wanted:
        return [], sorted(pending)
    try:
        async with session.begin_nested():
            changed = await update_details(session, case, wanted, rules=rules, actor=actor, now=now)
    except DomainError as exc:
        log.info("details for %s not applied: %s", case.reference, exc.key)
        changed = []
    return changed, sorted(pending)
