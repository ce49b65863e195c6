"""Every status x action pair of the three state machines, legal and illegal.

Driven from `TRANSITIONS`, so a new step or status cannot go untested: a legal step moves the
case to its target, records an Event and recomputes the due date; an illegal one raises
DomainError and leaves the case, its requester and its audit log exactly as they were, even
when the caller catches the error and commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.opening import update_details
from bot.errors import DomainError
from bot.notify import case_events as notifications
from bot.services import Services
from bot.workflow import complaints, objections, requests
from bot.workflow.deadlines import compute_due_date
from bot.workflow.machine import apply_transition
from bot.workflow.rules import Rules
from bot.workflow.transitions import TRANSITIONS, allowed_actions
from store.enums import (
    AtasanDecision,
    CaseKind,
    ComplaintStatus,
    Decision,
    DisputeOutcome,
    ObjectionStatus,
)
from store.models import Case, Unit
from tests.bot.workflow.cases_in_status import (
    STATUSES,
    events_of,
    make_case_in_status,
    rules_of,
    snapshot,
)

REQ, ADU, KEB = CaseKind.INFORMATION_REQUEST, CaseKind.COMPLAINT, CaseKind.OBJECTION

Step = Callable[[AsyncSession, Case, Rules, dt.datetime], Awaitable[Any]]


def test_table_names_only_known_statuses() -> None:
    for (kind, name), transition in TRANSITIONS.items():
        assert transition.kind == kind and transition.name == name
        assert transition.sources <= set(STATUSES[kind]), name
        assert transition.target is None or transition.target in STATUSES[kind], name


async def _attempt(services: Services, case: Case, step: Step) -> DomainError | None:
    """Run `step` in a transaction that commits even if the step refuses (the worst case)."""
    rules = await rules_of(services)
    async with services.db.transaction() as session:
        fresh = await session.get(Case, case.id)
        assert fresh is not None
        try:
            await step(session, fresh, rules, services.clock.now())
        except DomainError as exc:
            return exc
    return None


async def _check(
    services: Services,
    kind: CaseKind,
    status: str,
    step: Step,
    legal_names: set[str],
    held_from: str = ComplaintStatus.DISPOSED,
) -> None:
    """Legal iff `status` is a source of one of `legal_names`; assert the outcome either way."""
    case = await make_case_in_status(services, kind, status)
    legal = {n for n in legal_names if status in TRANSITIONS[(kind, n)].sources}
    before = await snapshot(services, case.id)  # type: ignore[arg-type]
    error = await _attempt(services, case, step)
    label = f"{kind}/{status} -> {sorted(legal_names)}"
    if not legal:
        assert error is not None, f"{label} should be refused"
        assert await snapshot(services, case.id) == before, f"{label} changed the case"  # type: ignore[arg-type]
        return
    assert error is None, f"{label} refused: {error}"
    rules = await rules_of(services)
    async with services.db.session() as session:
        after = await session.get(Case, case.id)
    assert after is not None
    events = await events_of(services, case.id)  # type: ignore[arg-type]
    last = events[-1]
    assert last.action in legal, label
    transition = TRANSITIONS[(kind, last.action)]
    # Data-only steps keep the status; resume() goes back where the hold came from (the
    # fixture held a disposed complaint), bare apply_transition("resume") has no target.
    expected = transition.target or (held_from if last.action == "resume" else status)
    assert after.status == expected, label
    assert (last.from_status, last.to_status) == (status, after.status)
    assert after.due_date == compute_due_date(after, rules), label
    due = after.due_date.isoformat() if after.due_date else None
    assert last.data["due_date"] == due


@pytest.mark.parametrize("kind", [REQ, ADU, KEB], ids=str)
async def test_every_transition_from_every_status(
    services: Services, kind: CaseKind, monkeypatch: pytest.MonkeyPatch
) -> None:
    """apply_transition itself: each (status, action) of the kind, straight from the table.

    The steps carry no data here (a decision without its decision), which no real caller does,
    so the outbox producers are switched off; the step functions below run with them.
    """
    monkeypatch.setattr(notifications, "PRODUCERS", ())
    names = sorted(n for (k, n) in TRANSITIONS if k == kind)
    for name in names:
        for status in STATUSES[kind]:

            async def step(s: AsyncSession, c: Case, r: Rules, now: dt.datetime) -> Any:
                return await apply_transition(s, c, name, rules=r, actor="test", now=now)  # noqa: B023

            await _check(services, kind, status, step, {name}, held_from=status)


async def test_unknown_action_is_a_domain_error(services: Services) -> None:
    case = await make_case_in_status(services, REQ, "registered")
    before = await snapshot(services, case.id)  # type: ignore[arg-type]

    async def step(s: AsyncSession, c: Case, r: Rules, now: dt.datetime) -> Any:
        return await apply_transition(s, c, "verify_and_dispose", rules=r, actor="t", now=now)

    error = await _attempt(services, case, step)
    assert error is not None and error.key == "workflow.unknown_action"
    assert await snapshot(services, case.id) == before  # type: ignore[arg-type]


async def test_allowed_actions_follow_the_table(services: Services) -> None:
    for kind, statuses in STATUSES.items():
        for status in statuses:
            case = Case(kind=kind, status=status, reference="X", channel="web")  # type: ignore[call-arg]
            expected = {n for (k, n), t in TRANSITIONS.items() if k == kind and status in t.sources}
            assert set(allowed_actions(case)) == expected


async def _unit(session: AsyncSession) -> int:
    """Some unit to dispose to (every fixture case comes with one)."""
    unit = (await session.exec(select(Unit))).first()
    assert unit is not None and unit.id is not None
    return unit.id


async def _dispose(s: AsyncSession, c: Case, r: Rules, now: dt.datetime) -> Case:
    return await requests.dispose(s, c, unit_id=await _unit(s), rules=r, actor="t", now=now)


async def _verify(s: AsyncSession, c: Case, r: Rules, now: dt.datetime) -> Case:
    unit_id = await _unit(s)
    return await complaints.verify_and_dispose(s, c, unit_id=unit_id, rules=r, actor="t", now=now)


async def _redispose(s: AsyncSession, c: Case, r: Rules, now: dt.datetime) -> Case:
    return await complaints.redispose(s, c, unit_id=await _unit(s), rules=r, actor="t", now=now)


# The public step functions, with valid arguments, and the transitions each may apply.
STEPS: dict[str, tuple[CaseKind, set[str], Step]] = {
    "cases.update_details": (
        REQ,
        {"update_details"},
        lambda s, c, r, now: update_details(
            s, c, {"purpose": "Baru", "address": "Jl. Baru 2"}, rules=r, actor="t", now=now
        ),
    ),
    "cases.update_details (complaint)": (
        ADU,
        {"update_details"},
        lambda s, c, r, now: update_details(
            s, c, {"location": "Jl. Baru 2"}, rules=r, actor="t", now=now
        ),
    ),
    "requests.dispose": (
        REQ,
        {"dispose", "redispose"},
        _dispose,
    ),
    "requests.extend": (
        REQ,
        {"extend"},
        lambda s, c, r, now: requests.extend(
            s, c, reason="Dokumen banyak", days=7, rules=r, actor="t", now=now
        ),
    ),
    "requests.decide": (
        REQ,
        {"decide"},
        lambda s, c, r, now: requests.decide(
            s, c, decision=Decision.GRANTED_FULL, rules=r, actor="t", now=now
        ),
    ),
    "complaints.verify_and_dispose": (
        ADU,
        {"verify_and_dispose"},
        _verify,
    ),
    "complaints.redispose": (
        ADU,
        {"redispose"},
        _redispose,
    ),
    "complaints.start_processing": (
        ADU,
        {"start_processing"},
        lambda s, c, r, now: complaints.start_processing(s, c, rules=r, actor="t", now=now),
    ),
    "complaints.post_followup": (
        ADU,
        {"post_followup"},
        lambda s, c, r, now: complaints.post_followup(
            s, c, text="Sudah ditambal", rules=r, actor="t", now=now
        ),
    ),
    "complaints.complainant_replied": (
        ADU,
        {"complainant_replied", "reopen"},
        lambda s, c, r, now: complaints.complainant_replied(s, c, rules=r, actor="t", now=now),
    ),
    "complaints.close": (
        ADU,
        {"close"},
        lambda s, c, r, now: complaints.close(s, c, rules=r, actor="t", now=now),
    ),
    "complaints.close(automatic)": (
        ADU,
        {"auto_close"},
        lambda s, c, r, now: complaints.close(s, c, rules=r, actor="t", now=now, automatic=True),
    ),
    "complaints.hold": (
        ADU,
        {"hold"},
        lambda s, c, r, now: complaints.hold(s, c, reason="Menunggu", rules=r, actor="t", now=now),
    ),
    "complaints.resume": (
        ADU,
        {"resume"},
        lambda s, c, r, now: complaints.resume(s, c, rules=r, actor="t", now=now),
    ),
    "complaints.archive": (
        ADU,
        {"archive"},
        lambda s, c, r, now: complaints.archive(s, c, reason="Ganda", rules=r, actor="t", now=now),
    ),
    "complaints.not_our_authority": (
        ADU,
        {"not_our_authority"},
        lambda s, c, r, now: complaints.not_our_authority(
            s, c, destination="Polda Metro Jaya", rules=r, actor="t", now=now
        ),
    ),
    "complaints.rate": (
        ADU,
        {"rate"},
        lambda s, c, r, now: complaints.rate(
            s, c, rating=4, comment="Cepat", rules=r, actor="t", now=now
        ),
    ),
    "objections.answer": (
        KEB,
        {"answer"},
        lambda s, c, r, now: objections.answer(
            s,
            c,
            decision=AtasanDecision.OVERTURNED,
            reasons="",
            atasan_name="Budi",
            atasan_position="Sekda",
            rules=r,
            actor="t",
            now=now,
        ),
    ),
    "objections.record_response": (
        KEB,
        {"record_response"},
        lambda s, c, r, now: objections.record_response(
            s, c, response="Menerima", rules=r, actor="t", now=now
        ),
    ),
    "objections.file_dispute": (
        KEB,
        {"file_dispute"},
        lambda s, c, r, now: objections.file_dispute(s, c, rules=r, actor="t", now=now),
    ),
    "objections.record_dispute_outcome": (
        KEB,
        {"record_dispute_outcome"},
        lambda s, c, r, now: objections.record_dispute_outcome(
            s,
            c,
            outcome=DisputeOutcome.ADJUDICATION,
            result="Dikabulkan",
            rules=r,
            actor="t",
            now=now,
        ),
    ),
    "objections.file_court_case": (
        KEB,
        {"file_court_case"},
        lambda s, c, r, now: _court_case(s, c, r, now),
    ),
    "objections.record_court_decision": (
        KEB,
        {"record_court_decision"},
        lambda s, c, r, now: _court_decision(s, c, r, now),
    ),
}


async def _court_case(s: AsyncSession, c: Case, r: Rules, now: dt.datetime) -> Any:
    # Only an adjudication can go to court (Pasal 47): a closed fixture case had one.
    if c.status == ObjectionStatus.CLOSED:
        c.dispute_outcome = DisputeOutcome.ADJUDICATION
    return await objections.file_court_case(s, c, rules=r, actor="t", now=now)


async def _court_decision(s: AsyncSession, c: Case, r: Rules, now: dt.datetime) -> Any:
    if c.status == ObjectionStatus.CLOSED:
        c.dispute_outcome = DisputeOutcome.ADJUDICATION
        c.court_filed_at = now - dt.timedelta(days=30)
    return await objections.record_court_decision(
        s, c, result="Gugatan ditolak", rules=r, actor="t", now=now
    )


# Steps with no function of their own: applied by the channels through apply_transition
# (claim) or by update_details when the last field arrives (complete).
GENERIC_ONLY = {"claim", "complete"}


def test_every_transition_has_a_step_function() -> None:
    covered = {(kind, n) for kind, names, _ in STEPS.values() for n in names}
    expected = {key for key in TRANSITIONS if key[1] not in GENERIC_ONLY}
    assert covered == expected


@pytest.mark.parametrize("name", sorted(STEPS))
async def test_step_function_from_every_status(services: Services, name: str) -> None:
    kind, names, step = STEPS[name]
    for status in STATUSES[kind]:
        await _check(services, kind, status, step, names)
