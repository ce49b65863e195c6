"""Objections (keberatan) to the Atasan PPID and disputes at the Komisi Informasi.

UU KIP Pasal 35-37: an objection on a Pasal 35(1) ground a-g, filed within 30 working days
after the ground arose, answered by the Atasan PPID within 30 working days; then 14 working
days to take the dispute to the Komisi Informasi.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import DomainError
from bot.workflow.deadlines import (
    dispute_filing_deadline,
    is_overdue,
    objection_filing_deadline,
)
from bot.workflow.machine import apply_transition, check_allowed
from bot.workflow.rules import Rules
from store.enums import AtasanDecision, CaseKind, Decision, DisputeOutcome, RequestStatus
from store.models import Case

PASAL_35_GROUNDS = tuple("abcdefg")


@dataclass(frozen=True)
class GroundWindow:
    """One Pasal 35 ground that exists for a request, and the last day to object on it."""

    ground: str
    arose_on: dt.date
    deadline: dt.date


def available_grounds(request: Case, rules: Rules, now: dt.datetime) -> list[GroundWindow]:
    """The Pasal 35(1) grounds a requester can still invoke against `request` today.

    Decision-based grounds (a, d, e, f) arise on the decision date; c (not answered) and g
    (answered late) arise the day after the 10/17-working-day deadline lapsed (domain.md §3).
    Ground b (periodic information not published) is not tied to a request and is always open.
    Grounds a and e follow from the decision recorded; d and f depend on what the requester
    received, so they are offered on every decided request.
    """
    if request.kind != CaseKind.INFORMATION_REQUEST:
        return []
    today = rules.local_date(now)
    found: list[tuple[str, dt.date]] = [("b", today)]
    if request.status == RequestStatus.DECIDED and request.decided_at is not None:
        decided_on = rules.local_date(request.decided_at)
        if request.decision == Decision.REFUSED:
            found.append(("a", decided_on))
        if request.decision in (Decision.GRANTED_PARTIAL, Decision.NOT_HELD, Decision.REFUSED):
            found.append(("e", decided_on))
        found += [("d", decided_on), ("f", decided_on)]
        if request.due_date is not None and decided_on > request.due_date:
            found.append(("g", request.due_date + dt.timedelta(days=1)))
    elif request.status != RequestStatus.DECIDED and is_overdue(request, today):
        assert request.due_date is not None
        found.append(("c", request.due_date + dt.timedelta(days=1)))
    windows = [
        GroundWindow(g, arose, objection_filing_deadline(arose, rules)) for g, arose in found
    ]
    return sorted(
        (w for w in windows if today <= w.deadline), key=lambda w: PASAL_35_GROUNDS.index(w.ground)
    )


def check_objection(request: Case, ground: str, reason: str, rules: Rules, now: dt.datetime) -> str:
    """Validate an objection against `request`; return the normalised ground letter."""
    letter = (ground or "").strip().lower()
    if letter not in PASAL_35_GROUNDS:
        raise DomainError("workflow.objection_needs_ground")
    if not (reason or "").strip():
        raise DomainError("workflow.reason_required")
    if request.kind != CaseKind.INFORMATION_REQUEST:
        raise DomainError("workflow.objection_needs_request")
    windows = {w.ground: w for w in available_grounds(request, rules, now)}
    if letter not in windows:
        raise DomainError(
            "workflow.objection_ground_unavailable", ground=letter, reference=request.reference
        )
    return letter


async def answer(
    session: AsyncSession,
    case: Case,
    *,
    decision: AtasanDecision | str,
    reasons: str,
    atasan_name: str,
    atasan_position: str,
    rules: Rules,
    actor: str,
    now: dt.datetime,
) -> Case:
    """The Atasan PPID's written answer (Pasal 36); upholding the PPID needs written reasons."""
    check_allowed(case, "answer")
    try:
        decision = AtasanDecision(decision)
    except ValueError:
        raise DomainError("workflow.atasan_decision_unknown", decision=str(decision)) from None
    if decision == AtasanDecision.UPHELD and not (reasons or "").strip():
        raise DomainError("workflow.upheld_needs_reasons")
    if not (atasan_name or "").strip() or not (atasan_position or "").strip():
        raise DomainError("workflow.atasan_identity")
    answered_on = rules.local_date(now)
    return await apply_transition(
        session,
        case,
        "answer",
        rules=rules,
        actor=actor,
        now=now,
        changes={
            "atasan_decision": decision.value,
            "atasan_reasons": (reasons or "").strip() or None,
            "atasan_name": atasan_name.strip(),
            "atasan_position": atasan_position.strip(),
            "answered_at": now,
            "closed_at": now,
            # From here the date that matters is the requester's last day to go to the KI.
            "due_date": dispute_filing_deadline(answered_on, rules),
        },
        data={"decision": decision.value},
    )


async def record_response(
    session: AsyncSession, case: Case, *, response: str, rules: Rules, actor: str, now: dt.datetime
) -> Case:
    """Log the requester's response to the Atasan's answer (objection register column)."""
    check_allowed(case, "record_response")
    text = (response or "").strip()
    if not text:
        raise DomainError("workflow.reason_required")
    return await apply_transition(
        session,
        case,
        "record_response",
        rules=rules,
        actor=actor,
        now=now,
        changes={"requester_response": text},
    )


def _day_instant(
    day: dt.date | None, rules: Rules, now: dt.datetime, *, after: dt.datetime | None = None
) -> dt.datetime:
    """The instant recorded for a date an officer gives (noon local), `now` when none given.

    A date is what the Komisi Informasi's or the court's letter says; it cannot be in the
    future, nor before the step it follows (`after`).
    """
    if day is None:
        return now
    if day > rules.local_date(now):
        raise DomainError("annual.dispute.date_future", date=day.isoformat())
    if after is not None and day < rules.local_date(after):
        raise DomainError(
            "annual.dispute.date_before",
            date=day.isoformat(),
            before=rules.local_date(after).isoformat(),
        )
    return dt.datetime.combine(day, dt.time(12), tzinfo=rules.settings.tz).astimezone(dt.UTC)


async def file_dispute(
    session: AsyncSession,
    case: Case,
    *,
    rules: Rules,
    actor: str,
    now: dt.datetime,
    filed_on: dt.date | None = None,
) -> Case:
    """Log that the requester took the dispute to the Komisi Informasi (Pasal 37), on
    `filed_on` (default today), which must fall in the 14 working days Pasal 37(2) allows."""
    check_allowed(case, "file_dispute")
    filed_at = _day_instant(filed_on, rules, now)
    day = rules.local_date(filed_at)
    if case.answered_at is not None:
        window_start = rules.local_date(case.answered_at)
    else:
        # Unanswered: the 14 days run from the day after the Atasan's 30 days lapsed.
        if case.due_date is None or day <= case.due_date:
            raise DomainError("workflow.dispute_too_early", reference=case.reference)
        window_start = case.due_date + dt.timedelta(days=1)
    deadline = dispute_filing_deadline(window_start, rules)
    if day > deadline:
        raise DomainError(
            "workflow.dispute_too_late", reference=case.reference, deadline=deadline.isoformat()
        )
    return await apply_transition(
        session,
        case,
        "file_dispute",
        rules=rules,
        actor=actor,
        now=now,
        changes={"dispute_filed_at": filed_at, "closed_at": case.closed_at or now},
        data={"filed_on": day.isoformat()},
    )


async def record_dispute_outcome(
    session: AsyncSession,
    case: Case,
    *,
    outcome: DisputeOutcome | str,
    result: str,
    rules: Rules,
    actor: str,
    now: dt.datetime,
    decided_on: dt.date | None = None,
) -> Case:
    """Log how the Komisi Informasi dispute ended (mediation agreement, adjudication decision
    or withdrawal) and on which date, for the annual report."""
    check_allowed(case, "record_dispute_outcome")
    try:
        outcome = DisputeOutcome(outcome)
    except ValueError:
        raise DomainError("workflow.dispute_outcome_unknown", outcome=str(outcome)) from None
    decided_at = _day_instant(decided_on, rules, now, after=case.dispute_filed_at)
    return await apply_transition(
        session,
        case,
        "record_dispute_outcome",
        rules=rules,
        actor=actor,
        now=now,
        changes={
            "dispute_outcome": outcome.value,
            "dispute_result": (result or "").strip(),
            "dispute_decided_at": decided_at,
        },
        data={"outcome": outcome.value, "decided_on": rules.local_date(decided_at).isoformat()},
    )


async def file_court_case(
    session: AsyncSession,
    case: Case,
    *,
    rules: Rules,
    actor: str,
    now: dt.datetime,
    filed_on: dt.date | None = None,
    court: str = "",
) -> Case:
    """Log a lawsuit against the Komisi Informasi's adjudication decision (UU KIP Pasal 47).

    Only an adjudication can be challenged in court: a mediation agreement is final and
    binding (Pasal 39).
    """
    check_allowed(case, "file_court_case")
    if case.dispute_outcome != DisputeOutcome.ADJUDICATION or case.court_filed_at is not None:
        raise DomainError("annual.dispute.court_needs_adjudication", reference=case.reference)
    filed_at = _day_instant(filed_on, rules, now, after=case.dispute_decided_at)
    return await apply_transition(
        session,
        case,
        "file_court_case",
        rules=rules,
        actor=actor,
        now=now,
        changes={"court_filed_at": filed_at},
        data={"filed_on": rules.local_date(filed_at).isoformat(), "court": court.strip()},
    )


async def record_court_decision(
    session: AsyncSession,
    case: Case,
    *,
    result: str,
    rules: Rules,
    actor: str,
    now: dt.datetime,
    decided_on: dt.date | None = None,
) -> Case:
    """Log the court's decision on the lawsuit and its date (Pasal 49-50)."""
    check_allowed(case, "record_court_decision")
    if case.court_filed_at is None or case.court_decided_at is not None:
        raise DomainError("annual.dispute.no_court_case", reference=case.reference)
    if not (result or "").strip():
        raise DomainError("workflow.reason_required")
    decided_at = _day_instant(decided_on, rules, now, after=case.court_filed_at)
    return await apply_transition(
        session,
        case,
        "record_court_decision",
        rules=rules,
        actor=actor,
        now=now,
        changes={"court_result": result.strip(), "court_decided_at": decided_at},
        data={"decided_on": rules.local_date(decided_at).isoformat()},
    )
