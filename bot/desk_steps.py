"""The workflow steps an officer can take from the desk, by name, with their parameters.

Each step takes the parameters a channel collected (a unit, a reason, a decision and what it
needs) and calls the one workflow function that does it; validation is the workflow's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit import officer_actor
from bot.errors import NotFoundError
from bot.i18n import t
from bot.workflow import complaints, objections, requests
from bot.workflow.machine import apply_transition
from bot.workflow.rules import Rules
from store.enums import CaseKind, ComplaintStatus
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
}
