"""Who may do what on which case: role x action x own/other unit (domain.md §5).

- Admins and the PPID Utama work every case, in every unit: the front desk verifies, completes
  and disposes; the PPID Utama coordinates and decides.
- A PPID Pelaksana works the cases disposed to their own unit, decisions and extensions
  included; a unit officer (pejabat penghubung) does the unit's day-to-day work but does not
  decide or extend.
- Only the Atasan PPID answers objections (UU KIP Pasal 35-36); the Atasan also sees every
  case, since overdue cases are escalated to them.
- The identity of an anonymous complainant is revealed to the desk only, never to the unit.

A refusal changes nothing, is answered politely, and is audited as a `permission_denied` event.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import officer_actor, record_event
from bot.errors import PermissionDenied
from store.enums import CaseKind, Role
from store.models import Case, Officer

# Actions that are not workflow transitions.
VIEW, REVEAL, REPLY, ASK_COMPLETE, REGISTER = "view", "reveal", "reply", "ask_complete", "register"
DISPUTE = "dispute"  # the card's menu of Komisi Informasi and court steps
# Confirming or rejecting a change of name/NIK/SK asked for by email (issue #9): who the
# requester is matters in law, so it is a PPID's decision, not the unit officer's.
CONFIRM_IDENTITY = "confirm_identity"

DESK_ROLES = frozenset({Role.ADMIN, Role.PPID_UTAMA})
UNIT_ROLES = frozenset({Role.PPID_PELAKSANA, Role.UNIT_OFFICER})

# Desk work only: which unit works a case, whether it is ours at all, registering cases.
DESK_ACTIONS = frozenset(
    {
        "dispose",
        "redispose",
        "verify_and_dispose",
        "not_our_authority",
        "archive",
        "record_response",
        "file_dispute",
        "record_dispute_outcome",
        "file_court_case",
        "record_court_decision",
        DISPUTE,
        REGISTER,
    }
)
# The unit's day-to-day work on its own cases.
UNIT_ACTIONS = frozenset(
    {
        VIEW,
        REVEAL,
        REPLY,
        ASK_COMPLETE,
        "claim",
        "start_processing",
        "post_followup",
        "close",
        "hold",
        "resume",
        "complete",
        "update_details",
    }
)
# Legal decisions on a request, for the PPID Pelaksana of the unit (and the desk).
DECISION_ACTIONS = frozenset({"extend", "decide", CONFIRM_IDENTITY})
# What the Atasan PPID does on objections.
# Disputes at the Komisi Informasi and in court are recorded by the Atasan PPID too (issue 14).
ATASAN_OBJECTION_ACTIONS = frozenset(
    {
        VIEW,
        REVEAL,
        REPLY,
        "claim",
        "answer",
        "file_dispute",
        "record_dispute_outcome",
        "file_court_case",
        "record_court_decision",
        DISPUTE,
    }
)
ATASAN_ONLY = frozenset({"answer"})


def own_unit(officer: Officer, case: Case | None) -> bool:
    """True when the case is disposed to the officer's unit."""
    return case is not None and officer.unit_id is not None and case.unit_id == officer.unit_id


def permitted(officer: Officer | None, action: str, case: Case | None) -> bool:
    """Whether `officer` may do `action` on `case` (None for actions on no case, e.g. register).

    An officer holding several roles may do what any one of them allows. Unregistered or
    deactivated people may do nothing.
    """
    if officer is None or not officer.active:
        return False
    return any(_role_permits(role, officer, action, case) for role in officer.roles)


def _role_permits(role: Role, officer: Officer, action: str, case: Case | None) -> bool:
    """Whether `role`, held by `officer` (for their unit), allows `action` on `case`."""
    if action == VIEW and case is None:  # a list, which the caller filters to what they may see
        return True
    if action in ATASAN_ONLY:
        return role == Role.ATASAN and case is not None and case.kind == CaseKind.OBJECTION
    if role in DESK_ROLES:
        return True
    if action == REVEAL and case is not None and case.anonymous:
        return False  # anonim: the identity is hidden from the unit (domain.md §4)
    if role == Role.ATASAN:
        is_objection = case is not None and case.kind == CaseKind.OBJECTION
        return action == VIEW or (is_objection and action in ATASAN_OBJECTION_ACTIONS)
    if case is not None and case.kind == CaseKind.OBJECTION:
        return action == VIEW and own_unit(officer, case)
    if action in UNIT_ACTIONS:
        return own_unit(officer, case)
    if action in DECISION_ACTIONS:
        return role == Role.PPID_PELAKSANA and own_unit(officer, case)
    return False


def permitted_for_audience(
    roles: frozenset[Role], unit_id: int | None, action: str, case: Case
) -> bool:
    """Whether some officer with one of `roles` in unit `unit_id` may do `action` on `case`:
    the buttons a card shows in a chat whose readers hold those roles.
    """
    return any(
        permitted(Officer(name="", role=role.value, unit_id=unit_id, active=True), action, case)
        for role in roles
    )


async def refusal(
    session: AsyncSession,
    officer: Officer | None,
    action: str,
    case: Case | None,
    *,
    now: dt.datetime,
    who: str,
) -> PermissionDenied | None:
    """None when permitted; otherwise audit the attempt and return the error to raise.

    The event is added to the caller's transaction, which must commit before raising the
    error (the refusal is recorded even though nothing else changes). `who` names an
    unregistered person for the audit log (e.g. `whatsapp:628123…`).
    """
    if permitted(officer, action, case):
        return None
    await record_event(
        session,
        case_id=case.id if case else None,
        actor=officer_actor(officer) if officer else who,
        action="permission_denied",
        at=now,
        data={
            "attempted": action,
            "role": officer.role if officer else None,
            "roles": sorted(officer.roles) if officer else None,
        },
    )
    if officer is None or not officer.active:
        return PermissionDenied("desk.not_an_officer")
    if action in ATASAN_ONLY:
        return PermissionDenied("desk.only_atasan")
    return PermissionDenied("desk.not_permitted", reference=case.reference if case else "-")
