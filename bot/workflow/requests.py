"""Information-request steps (UU KIP Pasal 22; Perki 1/2021): dispose, extend, decide."""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.fields import DELIVERY_METHODS
from bot.errors import DomainError
from bot.workflow.deadlines import request_base_due
from bot.workflow.machine import apply_transition, check_allowed, ensure_unit
from bot.workflow.rules import Rules
from store.enums import Decision
from store.models import Case

# UU KIP Pasal 17: the ten exemption grounds, a-j.
PASAL_17_GROUNDS = tuple("abcdefghij")
INFORMATION_FORMS = ("softcopy", "hardcopy")
# The form a grant defaults to: the copy the citizen asked for (domain.md §2 item 9).
FORM_OF_OBTAIN_METHOD = {"salinan_softcopy": "softcopy", "salinan_hardcopy": "hardcopy"}


def _text(value: str | None) -> str:
    return (value or "").strip()


async def dispose(
    session: AsyncSession,
    case: Case,
    *,
    unit_id: int,
    rules: Rules,
    actor: str,
    now: dt.datetime,
    officer_id: int | None = None,
) -> Case:
    """Hand the request to a unit's PPID Pelaksana (status in_progress; an extension is kept)."""
    name = "redispose" if case.status == "extended" else "dispose"
    await ensure_unit(session, case, name, unit_id)
    return await apply_transition(
        session,
        case,
        name,
        rules=rules,
        actor=actor,
        now=now,
        changes={"unit_id": unit_id, "assigned_officer_id": officer_id},
        data={"unit_id": unit_id, "officer_id": officer_id},
    )


async def extend(
    session: AsyncSession,
    case: Case,
    *,
    reason: str,
    days: int | None = None,
    rules: Rules,
    actor: str,
    now: dt.datetime,
) -> Case:
    """Extend the deadline once, with a written reason, announced before the 10-day deadline.

    UU KIP Pasal 22(8): at most 7 working days more, so the hard maximum is 17 working days.
    """
    if case.extended_at is not None:
        # Said first: "already extended" is the real reason, not the status it left behind.
        raise DomainError("workflow.extend_once", reference=case.reference)
    check_allowed(case, "extend")
    maximum = rules.settings.request_extension_days
    days = maximum if days is None else days
    if not _text(reason):
        raise DomainError("workflow.extend_reason")
    if not 1 <= days <= maximum:
        raise DomainError("workflow.extend_days", maximum=maximum)
    base_due = request_base_due(case, rules)
    if rules.local_date(now) > base_due:
        raise DomainError(
            "workflow.extend_too_late", reference=case.reference, due=base_due.isoformat()
        )
    return await apply_transition(
        session,
        case,
        "extend",
        rules=rules,
        actor=actor,
        now=now,
        changes={"extended_at": now, "extension_days": days, "extension_reason": _text(reason)},
        data={"days": days, "reason": _text(reason)},
    )


async def decide(
    session: AsyncSession,
    case: Case,
    *,
    decision: Decision | str,
    rules: Rules,
    actor: str,
    now: dt.datetime,
    note: str | None = None,
    redaction_note: str | None = None,
    refusal_ground: str | None = None,
    consequence_test: str | None = None,
    holder_body: str | None = None,
    available_on: dt.date | None = None,
    information_form: str | None = None,
    fee_amount: int = 0,
    time_to_provide: str | None = None,
    delivery_method: str | None = None,
) -> Case:
    """Record the one decision of domain.md §2, with what that decision legally requires.

    A grant's form defaults to the copy the citizen asked for and its delivery to the way they
    chose; an electronic copy is free (domain.md §2), so a fee on a softcopy is refused.
    """
    check_allowed(case, "decide")
    try:
        decision = Decision(decision)
    except ValueError:
        raise DomainError("workflow.decision_unknown", decision=str(decision)) from None
    if decision == Decision.GRANTED_PARTIAL and not _text(redaction_note):
        raise DomainError("workflow.partial_needs_redaction")
    if decision == Decision.REFUSED:
        ground = (refusal_ground or "").strip().lower()
        if ground not in PASAL_17_GROUNDS:
            raise DomainError("workflow.refusal_needs_ground")
        if not _text(consequence_test):
            raise DomainError("workflow.refusal_needs_consequence_test")
        refusal_ground = ground
    else:
        refusal_ground = None
    if decision == Decision.NOT_DOCUMENTED and available_on is None:
        raise DomainError("workflow.not_documented_needs_date")
    granted = decision in (Decision.GRANTED_FULL, Decision.GRANTED_PARTIAL)
    if information_form is None and granted:
        information_form = FORM_OF_OBTAIN_METHOD.get(case.obtain_method or "")
    if information_form is not None and information_form not in INFORMATION_FORMS:
        raise DomainError("workflow.form_unknown", form=information_form)
    if fee_amount < 0:
        raise DomainError("workflow.fee_negative")
    if information_form == "softcopy" and fee_amount > 0:
        raise DomainError("letters.softcopy_is_free")
    delivery = _text(delivery_method) or case.delivery_method
    if delivery is not None and delivery not in DELIVERY_METHODS:
        raise DomainError("fields.delivery_method_invalid", choices=", ".join(DELIVERY_METHODS))
    return await apply_transition(
        session,
        case,
        "decide",
        rules=rules,
        actor=actor,
        now=now,
        changes={
            "decision": decision.value,
            "decided_at": now,
            "closed_at": now,
            "notice_sent_at": now,
            "decision_note": _text(note) or None,
            "redaction_note": _text(redaction_note) or None,
            "refusal_ground": refusal_ground,
            "consequence_test": _text(consequence_test) or None,
            "holder_body": _text(holder_body) or None,
            "available_on": available_on,
            "information_form": information_form,
            "fee_amount": fee_amount,
            "time_to_provide": _text(time_to_provide) or None,
            "delivery_method": delivery,
        },
        data={
            "decision": decision.value,
            "refusal_ground": refusal_ground,
            # What the citizen asked for stays in the audit log when the officer changes it.
            "requested_delivery": case.delivery_method,
        },
    )
