"""Complaints, SP4N-LAPOR! style: verify in 3 working days, follow up in 5, close by itself
10 working days after the follow-up unless the complainant replies; hold, archive, forward.

Hand count on January 2026 (holidays Thu 01-01 and Fri 01-16; weekends skipped): working days
are 05 06 07 08 09 | 12 13 14 15 | 19 20 21 22 23 | 26 27 28 29 30 | 02-02 02-03 ...
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from bot.errors import DomainError
from bot.services import Services
from bot.workflow import complaints
from store.enums import ComplaintStatus
from store.models import Unit
from tests.bot.workflow.cases_in_status import events_of
from tests.bot.workflow.helpers import open_complaint, reload, step, wib

D = dt.date.fromisoformat
C = ComplaintStatus


async def _unit_id(services: Services, code: str = "pupr") -> int:
    async with services.db.transaction() as session:
        found = (await session.exec(select(Unit).where(Unit.code == code))).first()
        if found is None:
            found = Unit(code=code, name=f"Dinas {code}")
            session.add(found)
            await session.flush()
        assert found.id is not None
        return found.id


async def _disposed(services: Services) -> tuple[int, object]:
    case = await open_complaint(services, "2026-01-05")
    unit_id = await _unit_id(services)
    async with step(services, case, wib("2026-01-07", 10)) as (s, c, rules, now):
        await complaints.verify_and_dispose(s, c, unit_id=unit_id, rules=rules, actor="t", now=now)
    return unit_id, case


async def _followed_up(services: Services):  # type: ignore[no-untyped-def]
    _, case = await _disposed(services)
    async with step(services, case, wib("2026-01-09", 10)) as (s, c, rules, now):
        await complaints.post_followup(s, c, text="Jalan ditambal", rules=rules, actor="t", now=now)
    return case


async def test_complaint_due_dates_through_its_life(services: Services) -> None:
    case = await open_complaint(services, "2026-01-05")
    assert (case.status, case.due_date) == (C.UNVERIFIED, D("2026-01-08"))  # 3 working days
    _, case = await _disposed(services)
    stored = await reload(services, case)
    assert (stored.status, stored.due_date) == (C.DISPOSED, D("2026-01-14"))  # 5 after 01-07
    case = await _followed_up(services)
    stored = await reload(services, case)
    # Follow-up Fri 01-09: the case closes by itself on the 10th working day after, Mon 01-26.
    assert (stored.status, stored.due_date) == (C.IN_PROCESS, D("2026-01-26"))
    assert stored.followup_text == "Jalan ditambal"


async def test_auto_close_only_ten_working_days_after_the_follow_up(services: Services) -> None:
    case = await _followed_up(services)
    with pytest.raises(DomainError) as err:
        async with step(services, case, wib("2026-01-23", 23, 59)) as (s, c, rules, now):
            await complaints.close(s, c, rules=rules, actor="t", now=now, automatic=True)
    assert (err.value.key, err.value.params) == (
        "workflow.autoclose_too_early",
        {"due": "2026-01-26"},
    )
    assert (await reload(services, case)).status == C.IN_PROCESS
    async with step(services, case, wib("2026-01-26", 0, 5)) as (s, c, rules, now):
        await complaints.close(s, c, rules=rules, actor="scheduler", now=now, automatic=True)
    stored = await reload(services, case)
    assert (stored.status, stored.closed_at) == (C.DONE, wib("2026-01-26", 0, 5))
    assert (await events_of(services, case.id))[-1].action == "auto_close"  # type: ignore[attr-defined]


async def test_close_needs_a_follow_up(services: Services) -> None:
    _, case = await _disposed(services)
    async with step(services, case, wib("2026-01-08")) as (s, c, rules, now):
        await complaints.start_processing(s, c, rules=rules, actor="t", now=now)
    for automatic in (False, True):
        with pytest.raises(DomainError) as err:
            async with step(services, case, wib("2026-03-02")) as (s, c, rules, now):
                await complaints.close(s, c, rules=rules, actor="t", now=now, automatic=automatic)
        assert err.value.key == "workflow.close_needs_followup"


async def test_reply_before_auto_close_cancels_it(services: Services) -> None:
    case = await _followed_up(services)
    async with step(services, case, wib("2026-01-20")) as (s, c, rules, now):
        await complaints.complainant_replied(s, c, rules=rules, actor="requester:1", now=now)
    stored = await reload(services, case)
    # The unit owes a new follow-up within 5 working days of the reply: 21 22 23 26 27.
    assert (stored.status, stored.followed_up_at, stored.due_date) == (
        C.IN_PROCESS,
        None,
        D("2026-01-27"),
    )
    with pytest.raises(DomainError):
        async with step(services, case, wib("2026-02-27")) as (s, c, rules, now):
            await complaints.close(s, c, rules=rules, actor="t", now=now, automatic=True)


async def test_reply_after_close_reopens(services: Services) -> None:
    case = await _followed_up(services)
    async with step(services, case, wib("2026-01-26", 1)) as (s, c, rules, now):
        await complaints.close(s, c, rules=rules, actor="t", now=now, automatic=True)
    async with step(services, case, wib("2026-01-27")) as (s, c, rules, now):
        await complaints.complainant_replied(s, c, rules=rules, actor="requester:1", now=now)
    stored = await reload(services, case)
    # Reopened Tue 01-27: 28 29 30 02-02 02-03.
    assert (stored.status, stored.closed_at, stored.due_date) == (
        C.IN_PROCESS,
        None,
        D("2026-02-03"),
    )
    event = (await events_of(services, case.id))[-1]  # type: ignore[attr-defined]
    assert (event.action, event.from_status, event.to_status) == ("reopen", C.DONE, C.IN_PROCESS)


async def test_redispose_restarts_the_unit_clock(services: Services) -> None:
    _, case = await _disposed(services)
    other = await _unit_id(services, "dishub")
    async with step(services, case, wib("2026-01-08")) as (s, c, rules, now):
        await complaints.redispose(s, c, unit_id=other, rules=rules, actor="t", now=now)
    stored = await reload(services, case)
    assert (stored.unit_id, stored.due_date) == (other, D("2026-01-15"))  # 09 12 13 14 15
    event = (await events_of(services, case.id))[-1]  # type: ignore[attr-defined]
    assert event.data["unit_id"] == other and event.data["previous_unit_id"] != other


@pytest.mark.parametrize("held_from", [C.UNVERIFIED, C.DISPOSED, C.IN_PROCESS])
async def test_hold_and_resume_return_to_the_prior_status(
    services: Services, held_from: str
) -> None:
    if held_from == C.UNVERIFIED:
        case = await open_complaint(services, "2026-01-05")
    elif held_from == C.DISPOSED:
        _, case = await _disposed(services)
    else:
        case = await _followed_up(services)
    due_before = (await reload(services, case)).due_date
    async with step(services, case, wib("2026-01-12")) as (s, c, rules, now):
        await complaints.hold(s, c, reason="Menunggu data pelapor", rules=rules, actor="t", now=now)
    held = await reload(services, case)
    assert (held.status, held.held_from_status, held.due_date) == (C.ON_HOLD, held_from, None)
    async with step(services, case, wib("2026-01-13")) as (s, c, rules, now):
        await complaints.resume(s, c, rules=rules, actor="t", now=now)
    resumed = await reload(services, case)
    assert (resumed.status, resumed.held_from_status) == (held_from, None)
    assert resumed.due_date == due_before  # anchors kept: the clock was not reset
    actions = [e.action for e in await events_of(services, case.id)][-2:]  # type: ignore[arg-type]
    assert actions == ["hold", "resume"]


@pytest.mark.parametrize("reason", ["", "   "])
async def test_hold_and_archive_need_a_reason(services: Services, reason: str) -> None:
    case = await open_complaint(services, "2026-01-05")
    for call in (complaints.hold, complaints.archive):
        with pytest.raises(DomainError) as err:
            async with step(services, case, wib("2026-01-06")) as (s, c, rules, now):
                await call(s, c, reason=reason, rules=rules, actor="t", now=now)
        assert err.value.key == "workflow.reason_required"
    assert (await reload(services, case)).status == C.UNVERIFIED


@pytest.mark.parametrize("destination", ["", "  "])
async def test_not_our_authority_needs_a_destination(services: Services, destination: str) -> None:
    case = await open_complaint(services, "2026-01-05")
    with pytest.raises(DomainError) as err:
        async with step(services, case, wib("2026-01-06")) as (s, c, rules, now):
            await complaints.not_our_authority(
                s, c, destination=destination, rules=rules, actor="t", now=now
            )
    assert err.value.key == "workflow.noa_needs_destination"
    assert (await reload(services, case)).status == C.UNVERIFIED


async def test_not_our_authority_forwards_and_logs(services: Services) -> None:
    case = await open_complaint(services, "2026-01-05")
    async with step(services, case, wib("2026-01-06")) as (s, c, rules, now):
        await complaints.not_our_authority(
            s, c, destination=" Polda Metro Jaya ", rules=rules, actor="t", now=now
        )
    stored = await reload(services, case)
    assert (stored.status, stored.forwarded_to) == (C.NOT_OUR_AUTHORITY, "Polda Metro Jaya")
    assert stored.verified_at == wib("2026-01-06")
    event = (await events_of(services, case.id))[-1]  # type: ignore[attr-defined]
    assert event.data["destination"] == "Polda Metro Jaya"


async def test_rating_is_one_to_five(services: Services) -> None:
    case = await _followed_up(services)
    async with step(services, case, wib("2026-01-26", 1)) as (s, c, rules, now):
        await complaints.close(s, c, rules=rules, actor="t", now=now)
    for bad in (0, 6):
        with pytest.raises(DomainError) as err:
            async with step(services, case, wib("2026-01-27")) as (s, c, rules, now):
                await complaints.rate(
                    s, c, rating=bad, comment=None, rules=rules, actor="t", now=now
                )
        assert err.value.key == "workflow.rating_range"
    async with step(services, case, wib("2026-01-27")) as (s, c, rules, now):
        await complaints.rate(s, c, rating=5, comment=" Cepat ", rules=rules, actor="t", now=now)
    stored = await reload(services, case)
    assert (stored.status, stored.rating, stored.rating_comment) == (C.DONE, 5, "Cepat")


async def test_follow_up_needs_text(services: Services) -> None:
    _, case = await _disposed(services)
    with pytest.raises(DomainError) as err:
        async with step(services, case, wib("2026-01-08")) as (s, c, rules, now):
            await complaints.post_followup(s, c, text=" ", rules=rules, actor="t", now=now)
    assert err.value.key == "workflow.followup_needs_text"
    assert (await reload(services, case)).followed_up_at is None
