"""The workflow steps an officer can take from the desk, by name, with their parameters.

Each step takes the parameters a channel collected (a unit, a reason, a decision and what it
needs) and calls the one workflow function that does it; validation is the workflow's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import officer_actor
from bot.errors import DomainError, NotFoundError
from bot.i18n import t
from bot.workflow import complaints, objections, requests
from bot.workflow.machine import apply_transition
from bot.workflow.rules import Rules
from store.enums import CaseKind, ComplaintStatus, DisputeOutcome, ObjectionStatus
from store.models import Case, Officer, Unit

Step = Callable[[AsyncSession, Case, Officer, Rules, dt.datetime, dict[str, Any]], Awaitable[Any]]


def _text(params: dict[str, Any], key: str) -> str:
    return str(params.get(key) or "")


async def _claim(s: AsyncSession, case: Case, o: Officer, r: Rules, now: dt.datetime, p: dict):
    await apply_transition(
        s,
        case,
        "claim",
        rules=r,
        actor=officer_actor(o),
        now=now,
        changes={"assigned_officer_id": o.id},
        data={"officer_id": o.id},
    )


async def _dispose(s: AsyncSession, case: Case, o: Officer, r: Rules, now: dt.datetime, p: dict):
    unit = await s.get(Unit, int(p["unit_id"]))
    if unit is None:
        raise NotFoundError("desk.unit_not_found")
    actor = officer_actor(o)
    if case.kind == CaseKind.INFORMATION_REQUEST:
        await requests.dispose(s, case, unit_id=unit.id, rules=r, actor=actor, now=now)  # type: ignore[arg-type]
    elif case.status == ComplaintStatus.UNVERIFIED:
        await complaints.verify_and_dispose(s, case, unit_id=unit.id, rules=r, actor=actor, now=now)  # type: ignore[arg-type]
    else:
        await complaints.redispose(s, case, unit_id=unit.id, rules=r, actor=actor, now=now)  # type: ignore[arg-type]


async def _extend(s: AsyncSession, case: Case, o: Officer, r: Rules, now: dt.datetime, p: dict):
    reason = _text(p, "reason")
    await requests.extend(s, case, reason=reason, rules=r, actor=officer_actor(o), now=now)


async def _decide(s: AsyncSession, case: Case, o: Officer, r: Rules, now: dt.datetime, p: dict):
    available = p.get("available_on")
    await requests.decide(
        s,
        case,
        decision=_text(p, "decision"),
        rules=r,
        actor=officer_actor(o),
        now=now,
        note=p.get("note"),
        redaction_note=p.get("redaction_note"),
        refusal_ground=p.get("refusal_ground"),
        consequence_test=p.get("consequence_test"),
        holder_body=p.get("holder_body"),
        available_on=dt.date.fromisoformat(available) if available else None,
        information_form=p.get("information_form") or None,
        fee_amount=int(p.get("fee_amount") or 0),
        time_to_provide=p.get("time_to_provide"),
        delivery_method=p.get("delivery_method"),
    )


def _simple(fn: Callable[..., Awaitable[Any]], **param_names: str) -> Step:
    """A step that calls a workflow function with the named free-text parameters."""

    async def step(s: AsyncSession, case: Case, o: Officer, r: Rules, now: dt.datetime, p: dict):
        kwargs = {arg: _text(p, key) for arg, key in param_names.items()}
        await fn(s, case, rules=r, actor=officer_actor(o), now=now, **kwargs)

    return step


async def _answer(s: AsyncSession, case: Case, o: Officer, r: Rules, now: dt.datetime, p: dict):
    await objections.answer(
        s,
        case,
        decision=_text(p, "decision"),
        reasons=_text(p, "reasons"),
        atasan_name=o.name,
        atasan_position=o.position or t("desk.role.atasan", o.language),
        rules=r,
        actor=officer_actor(o),
        now=now,
    )


# The desk's dispute menu: code -> (step, outcome). Codes keep callback data short.
DISPUTE_CODES: dict[str, tuple[str, str | None]] = {
    "f": ("file_dispute", None),
    "m": ("record_dispute_outcome", "mediation"),
    "a": ("record_dispute_outcome", "adjudication"),
    "w": ("record_dispute_outcome", "withdrawn"),
    "c": ("file_court_case", None),
    "d": ("record_court_decision", None),
}


def dispute_codes(case: Case) -> list[str]:
    """The dispute steps that fit the objection now: filing, the outcome, then court."""
    if case.kind != CaseKind.OBJECTION:
        return []
    if case.status in (ObjectionStatus.REGISTERED, ObjectionStatus.ANSWERED):
        return ["f"]
    if case.status == ObjectionStatus.DISPUTED:
        return ["m", "a", "w"]
    if case.dispute_outcome == DisputeOutcome.ADJUDICATION and case.court_filed_at is None:
        return ["c"]
    if case.court_filed_at is not None and case.court_decided_at is None:
        return ["d"]
    return []


def date_and_words(text: str, today: dt.date) -> tuple[dt.date | None, str]:
    """An officer's "DATE words" (2026-03-02, 02-03-2026 or 02/03/2026 first; no date = today).

    Raises DomainError("form.err.date") for a first word that looks like a date but is not one.
    """
    first, _, rest = text.strip().partition(" ")
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(first, fmt).date(), rest.strip()
        except ValueError:
            continue
    if first[:1].isdigit() and any(sep in first for sep in "-/"):
        raise DomainError("form.err.date")
    return None, text.strip()


def _dispute(kind: str) -> Step:
    """A Komisi Informasi or court step from the desk: "DATE result" in `details`."""

    async def step(s: AsyncSession, case: Case, o: Officer, r: Rules, now: dt.datetime, p: dict):
        day, words = date_and_words(_text(p, "details"), r.local_date(now))
        actor = officer_actor(o)
        if kind == "file_dispute":
            await objections.file_dispute(s, case, rules=r, actor=actor, now=now, filed_on=day)
        elif kind == "record_dispute_outcome":
            await objections.record_dispute_outcome(
                s, case, outcome=_text(p, "outcome"), result=words, rules=r, actor=actor,
                now=now, decided_on=day,
            )  # fmt: skip
        elif kind == "file_court_case":
            await objections.file_court_case(
                s, case, rules=r, actor=actor, now=now, filed_on=day, court=words
            )
        else:
            await objections.record_court_decision(
                s, case, result=words, rules=r, actor=actor, now=now, decided_on=day
            )

    return step


STEPS: dict[str, Step] = {
    "claim": _claim,
    "dispose": _dispose,
    "extend": _extend,
    "decide": _decide,
    "start_processing": _simple(complaints.start_processing),
    "post_followup": _simple(complaints.post_followup, text="text"),
    "close": _simple(complaints.close),
    "hold": _simple(complaints.hold, reason="reason"),
    "resume": _simple(complaints.resume),
    "archive": _simple(complaints.archive, reason="reason"),
    "not_our_authority": _simple(complaints.not_our_authority, destination="destination"),
    "answer": _answer,
    **{
        name: _dispute(name)
        for name in (
            "file_dispute",
            "record_dispute_outcome",
            "file_court_case",
            "record_court_decision",
        )
    },
}
