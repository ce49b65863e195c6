"""Complaint steps, SP4N-LAPOR! style (Perpres 76/2013, PermenPANRB 62/2018; domain.md §4)."""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import DomainError
from bot.workflow.machine import apply_transition, check_allowed, ensure_unit
from bot.workflow.rules import Rules
from store.enums import ComplaintStatus
from store.models import Case


def _required(value: str | None, key: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(key)
    return text


async def verify_and_dispose(
    session: AsyncSession,
    case: Case,
    *,
    unit_id: int,
    rules: Rules,
    actor: str,
    now: dt.datetime,
    oversight: bool | None = None,
) -> Case:
    """Verify the complaint and dispose it to a unit; the unit's 5-working-day clock starts."""
    await ensure_unit(session, case, "verify_and_dispose", unit_id)
    return await apply_transition(
        session,
        case,
        "verify_and_dispose",
        rules=rules,
        actor=actor,
        now=now,
        changes={
            "unit_id": unit_id,
            "verified_at": now,
            "disposed_at": now,
            "oversight": case.oversight if oversight is None else oversight,
        },
        data={"unit_id": unit_id},
    )


async def redispose(
    session: AsyncSession, case: Case, *, unit_id: int, rules: Rules, actor: str, now: dt.datetime
) -> Case:
    """Move a disposed complaint to another unit; that unit's follow-up clock starts afresh."""
    await ensure_unit(session, case, "redispose", unit_id)
    return await apply_transition(
        session,
        case,
        "redispose",
        rules=rules,
        actor=actor,
        now=now,
        changes={
            "unit_id": unit_id,
            "disposed_at": now,
            "reopened_at": None,
            "followed_up_at": None,
        },
        data={"unit_id": unit_id, "previous_unit_id": case.unit_id},
    )


async def start_processing(
    session: AsyncSession, case: Case, *, rules: Rules, actor: str, now: dt.datetime
) -> Case:
    """The unit has taken the complaint up (Diproses)."""
    return await apply_transition(
        session, case, "start_processing", rules=rules, actor=actor, now=now
    )


async def post_followup(
    session: AsyncSession, case: Case, *, text: str, rules: Rules, actor: str, now: dt.datetime
) -> Case:
    """Record the unit's follow-up (tindak lanjut); the 10-day auto-close clock starts."""
    check_allowed(case, "post_followup")
    body = _required(text, "workflow.followup_needs_text")
    return await apply_transition(
        session,
        case,
        "post_followup",
        rules=rules,
        actor=actor,
        now=now,
        changes={"followed_up_at": now, "followup_text": body},
        data={"text": body},
    )


async def complainant_replied(
    session: AsyncSession, case: Case, *, rules: Rules, actor: str, now: dt.datetime
) -> Case:
    """The complainant answered: a closed case reopens, a pending auto-close is cancelled."""
    name = "reopen" if case.status == ComplaintStatus.DONE else "complainant_replied"
    # The unit owes a new follow-up: its 5-day clock restarts from the reply.
    return await apply_transition(
        session,
        case,
        name,
        rules=rules,
        actor=actor,
        now=now,
        changes={"followed_up_at": None, "reopened_at": now, "closed_at": None},
    )


async def close(
    session: AsyncSession,
    case: Case,
    *,
    rules: Rules,
    actor: str,
    now: dt.datetime,
    automatic: bool = False,
) -> Case:
    """Close a complaint (Selesai). A follow-up must have been posted first."""
    name = "auto_close" if automatic else "close"
    check_allowed(case, name)
    if case.followed_up_at is None:
        raise DomainError("workflow.close_needs_followup", reference=case.reference)
    if automatic:
        due = rules.calendar.add_working_days(
            rules.local_date(case.followed_up_at), rules.settings.complaint_autoclose_days
        )
        if rules.local_date(now) < due:
            raise DomainError("workflow.autoclose_too_early", due=due.isoformat())
    return await apply_transition(
        session, case, name, rules=rules, actor=actor, now=now, changes={"closed_at": now}
    )


async def hold(
    session: AsyncSession, case: Case, *, reason: str, rules: Rules, actor: str, now: dt.datetime
) -> Case:
    """Put the complaint on hold (Tunda) with a reason; it resumes where it was."""
    check_allowed(case, "hold")
    why = _required(reason, "workflow.reason_required")
    return await apply_transition(
        session,
        case,
        "hold",
        rules=rules,
        actor=actor,
        now=now,
        changes={"held_from_status": case.status, "status_reason": why},
        data={"reason": why},
    )


async def resume(
    session: AsyncSession, case: Case, *, rules: Rules, actor: str, now: dt.datetime
) -> Case:
    """Take a complaint off hold, back to the status it had before."""
    check_allowed(case, "resume")
    target = case.held_from_status or ComplaintStatus.UNVERIFIED
    return await apply_transition(
        session,
        case,
        "resume",
        rules=rules,
        actor=actor,
        now=now,
        changes={"held_from_status": None},
        target=target,
    )


async def archive(
    session: AsyncSession, case: Case, *, reason: str, rules: Rules, actor: str, now: dt.datetime
) -> Case:
    """Archive the complaint (Arsip) with a reason; it leaves the %TL totals."""
    check_allowed(case, "archive")
    why = _required(reason, "workflow.reason_required")
    return await apply_transition(
        session,
        case,
        "archive",
        rules=rules,
        actor=actor,
        now=now,
        changes={"status_reason": why, "closed_at": now},
        data={"reason": why},
    )


async def not_our_authority(
    session: AsyncSession,
    case: Case,
    *,
    destination: str,
    rules: Rules,
    actor: str,
    now: dt.datetime,
) -> Case:
    """Forward to the body that has authority ("No Wrong Door": never simply rejected)."""
    check_allowed(case, "not_our_authority")
    where = _required(destination, "workflow.noa_needs_destination")
    return await apply_transition(
        session,
        case,
        "not_our_authority",
        rules=rules,
        actor=actor,
        now=now,
        changes={"forwarded_to": where, "closed_at": now, "verified_at": case.verified_at or now},
        data={"destination": where},
    )


async def rate(
    session: AsyncSession,
    case: Case,
    *,
    rating: int,
    comment: str | None,
    rules: Rules,
    actor: str,
    now: dt.datetime,
) -> Case:
    """Store the complainant's rating of the follow-up (1-5) and comment."""
    check_allowed(case, "rate")
    if not 1 <= rating <= 5:
        raise DomainError("workflow.rating_range")
    return await apply_transition(
        session,
        case,
        "rate",
        rules=rules,
        actor=actor,
        now=now,
        changes={"rating": rating, "rating_comment": (comment or "").strip() or None},
        data={"rating": rating},
    )
