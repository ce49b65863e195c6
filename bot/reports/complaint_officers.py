"""The recap's officers' table: what each officer did to complaints in the period.

Per officer: verifications (within and after COMPLAINT_VERIFY_DAYS working days of receipt, and
their average), dispositions (within and after REPORT_DISPOSITION_DAYS), holds and archives.
It reads the audit events alone: every event carries its case's kind and local receipt date and
its own local date (bot/workflow/event_columns.py), so the query is one index-only GROUP BY on
`ix_events_recap` (no case row is read, no date converted per event); the working days are then
counted once per distinct (receipt date, acted date) group with the body's calendar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.reports.sql import Period
from bot.reports.workdays import DayCounter, Durations
from bot.workflow.rules import Rules
from store.enums import CaseKind
from store.models import Event

VERIFY, DISPOSE_AGAIN, HOLD, ARCHIVE = "verify_and_dispose", "redispose", "hold", "archive"
ACTIONS = (ARCHIVE, HOLD, DISPOSE_AGAIN, VERIFY)  # in the index's order (sorted)


@dataclass
class AdminRow:
    """What one officer did to complaints in the period: verifications, holds, archives."""

    name: str
    verification: Durations
    dispositions: Durations
    actions: dict[str, int] = field(default_factory=dict)

    def as_json(self, verify_days: int, dispose_days: int) -> dict[str, Any]:
        """The officer's figures as JSON."""
        v, d = self.verification, self.dispositions
        return {
            "name": self.name,
            "verified_within": v.within_limit(verify_days),
            "verified_after": v.count - v.within_limit(verify_days),
            "verify_average_days": v.average(),
            "verifications": self.actions.get(VERIFY, 0),
            "on_hold": self.actions.get(HOLD, 0),
            "archived": self.actions.get(ARCHIVE, 0),
            "dispositions": d.count,
            "dispositions_within": d.within_limit(dispose_days),
            "dispositions_after": d.count - d.within_limit(dispose_days),
        }


def actor_name(actor: str) -> str:
    """The readable part of an audit actor: the officer's name for `officer:<id>:<name>`."""
    kind, _, rest = actor.partition(":")
    return rest.partition(":")[2] or actor if kind == "officer" else actor


def officer_groups(period: Period) -> Any:
    """SQL: (actor, action, case received on, acted on, events) of the complaints' officer
    actions in `period`, grouped in the order of `ix_events_recap` (read from it alone)."""
    acted_on = col(Event.acted_on)
    return (
        select(Event.action, acted_on, Event.actor, Event.case_received_on, func.count())
        .where(
            (Event.case_kind == CaseKind.COMPLAINT)
            & col(Event.action).in_(ACTIONS)
            & acted_on.between(period.start, period.end)
        )
        .group_by(Event.action, acted_on, Event.actor, Event.case_received_on)
    )


def admin_rows(groups: Any, rules: Rules, counter: DayCounter) -> list[AdminRow]:
    """The officers' rows from grouped (action, acted on, actor, received on, events) rows,
    sorted by name; working days from receipt to the action, by the body's calendar."""
    verify_limit = rules.settings.complaint_verify_days
    dispose_limit = rules.settings.report_disposition_days
    admins: dict[str, AdminRow] = {}
    for action, acted, actor, received, n in groups:
        admin = admins.get(actor)
        if admin is None:
            admin = admins[actor] = AdminRow(
                actor_name(actor), Durations((verify_limit,)), Durations((dispose_limit,))
            )
        admin.actions[action] = admin.actions.get(action, 0) + int(n)
        if action in (VERIFY, DISPOSE_AGAIN):
            days = counter.between(received, acted)
            admin.dispositions.add(days, int(n))
            if action == VERIFY:
                admin.verification.add(days, int(n))
    return sorted(admins.values(), key=lambda a: a.name)


async def officer_rows(
    session: AsyncSession, rules: Rules, period: Period, counter: DayCounter
) -> list[AdminRow]:
    """Per officer: verifications, dispositions, holds and archives of complaints in `period`,
    with the working days each took since the complaint's receipt."""
    groups = (await session.exec(officer_groups(period))).all()
    return admin_rows(groups, rules, counter)
