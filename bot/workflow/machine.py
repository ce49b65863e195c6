"""The one way to apply a transition (the table itself: bot/workflow/transitions.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import record_event
from bot.errors import DomainError
from bot.notify.case_events import case_changed
from bot.workflow.report_columns import refresh_derived
from bot.workflow.rules import Rules
from bot.workflow.transitions import check_allowed
from store.models import Case, Unit


async def apply_transition(
    session: AsyncSession,
    case: Case,
    name: str,
    *,
    rules: Rules,
    actor: str,
    now: dt.datetime,
    changes: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    target: str | None = None,
) -> Case:
    """Apply a legal transition: set `changes`, move status, recompute the due date, audit it.

    Callers validate their arguments first; this checks legality before touching anything, so
    an illegal step leaves the case exactly as it was. `target` overrides the table's target
    for steps whose end state depends on the case (resume after hold).
    """
    transition = check_allowed(case, name)
    before = case.status
    for key, value in (changes or {}).items():
        if not hasattr(case, key):
            raise AttributeError(f"Case has no field {key!r}")
        setattr(case, key, value)
    case.status = target or transition.target or case.status
    refresh_derived(case, rules)
    case.updated_at = now
    session.add(case)
    await record_event(
        session,
        case_id=case.id,
        actor=actor,
        action=name,
        at=now,
        from_status=before,
        to_status=case.status,
        data={**(data or {}), "due_date": case.due_date.isoformat() if case.due_date else None},
    )
    await case_changed(session, case, name, rules, now)
    return case


async def ensure_unit(session: AsyncSession, case: Case, name: str, unit_id: int) -> None:
    """Check the step is legal and the unit exists; DomainError otherwise (case untouched)."""
    check_allowed(case, name)
    if await session.get(Unit, unit_id) is None:
        raise DomainError("workflow.unit_unknown", unit_id=unit_id)
