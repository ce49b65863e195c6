"""The transition table of all three state machines: which step is legal from which status.

Pure data and lookups (no store writes, no notifications), so anything that only asks "what
may happen to this case now", such as a case card's buttons, reads it without importing the
side that applies a step (bot/workflow/machine.py, which tells bot.notify.case_events).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import DomainError
from store.enums import CaseKind, ComplaintStatus, ObjectionStatus, RequestStatus
from store.models import Case

R, C, OB = RequestStatus, ComplaintStatus, ObjectionStatus


@dataclass(frozen=True)
class Transition:
    """A named step: allowed from `sources` for cases of `kind`, ending in `target`.

    `target=None` keeps the current status (a step that changes data, not state).
    """

    name: str
    kind: CaseKind
    sources: frozenset[str]
    target: str | None


def _t(name: str, kind: CaseKind, sources: set[str], target: str | None) -> Transition:
    return Transition(name, kind, frozenset(sources), target)


_REQ, _ADU, _KEB = CaseKind.INFORMATION_REQUEST, CaseKind.COMPLAINT, CaseKind.OBJECTION
_REQ_OPEN = {R.INCOMPLETE, R.REGISTERED, R.IN_PROGRESS, R.EXTENDED}

TRANSITIONS: dict[tuple[CaseKind, str], Transition] = {
    (t.kind, t.name): t
    for t in (
        # information requests (domain.md §2)
        _t("complete", _REQ, {R.INCOMPLETE}, R.REGISTERED),
        _t("update_details", _REQ, _REQ_OPEN, None),
        _t("dispose", _REQ, {R.REGISTERED, R.IN_PROGRESS}, R.IN_PROGRESS),
        _t("redispose", _REQ, {R.EXTENDED}, None),
        _t("claim", _REQ, _REQ_OPEN, None),
        _t("extend", _REQ, {R.REGISTERED, R.IN_PROGRESS}, R.EXTENDED),
        _t("decide", _REQ, {R.REGISTERED, R.IN_PROGRESS, R.EXTENDED}, R.DECIDED),
        # complaints (domain.md §4)
        _t("update_details", _ADU, {C.UNVERIFIED, C.DISPOSED, C.IN_PROCESS, C.ON_HOLD}, None),
        _t("verify_and_dispose", _ADU, {C.UNVERIFIED}, C.DISPOSED),
        _t("redispose", _ADU, {C.DISPOSED, C.IN_PROCESS}, C.DISPOSED),
        _t("claim", _ADU, {C.UNVERIFIED, C.DISPOSED, C.IN_PROCESS}, None),
        _t("start_processing", _ADU, {C.DISPOSED}, C.IN_PROCESS),
        _t("post_followup", _ADU, {C.DISPOSED, C.IN_PROCESS}, C.IN_PROCESS),
        _t("complainant_replied", _ADU, {C.IN_PROCESS}, C.IN_PROCESS),
        _t("close", _ADU, {C.IN_PROCESS}, C.DONE),
        _t("auto_close", _ADU, {C.IN_PROCESS}, C.DONE),
        _t("reopen", _ADU, {C.DONE}, C.IN_PROCESS),
        _t("hold", _ADU, {C.UNVERIFIED, C.DISPOSED, C.IN_PROCESS}, C.ON_HOLD),
        _t("resume", _ADU, {C.ON_HOLD}, None),
        _t("archive", _ADU, {C.UNVERIFIED, C.ON_HOLD, C.DISPOSED}, C.ARCHIVED),
        _t("not_our_authority", _ADU, {C.UNVERIFIED, C.DISPOSED}, C.NOT_OUR_AUTHORITY),
        _t("rate", _ADU, {C.DONE}, None),
        # objections (domain.md §3)
        _t("claim", _KEB, {OB.REGISTERED}, None),
        _t("answer", _KEB, {OB.REGISTERED}, OB.ANSWERED),
        _t("record_response", _KEB, {OB.ANSWERED, OB.DISPUTED, OB.CLOSED}, None),
        _t("file_dispute", _KEB, {OB.REGISTERED, OB.ANSWERED}, OB.DISPUTED),
        _t("record_dispute_outcome", _KEB, {OB.DISPUTED}, OB.CLOSED),
        _t("file_court_case", _KEB, {OB.CLOSED}, None),
        _t("record_court_decision", _KEB, {OB.CLOSED}, None),
    )
}


def transition_for(case: Case, name: str) -> Transition:
    """The transition `name` for this case, or DomainError if its kind has no such step."""
    try:
        return TRANSITIONS[(CaseKind(case.kind), name)]
    except KeyError:
        raise DomainError(
            "workflow.unknown_action", action=name, reference=case.reference
        ) from None


def allowed_actions(case: Case) -> list[str]:
    """Names of the transitions legal for the case in its current status."""
    kind = CaseKind(case.kind)
    return [t.name for (k, _), t in TRANSITIONS.items() if k == kind and case.status in t.sources]


def check_allowed(case: Case, name: str) -> Transition:
    """Return the transition if it is legal now; otherwise raise DomainError (case untouched)."""
    transition = transition_for(case, name)
    if case.status not in transition.sources:
        raise DomainError(
            "workflow.illegal_transition",
            action=name,
            reference=case.reference,
            status=case.status,
        )
    return transition
