"""The authorization matrix: every role x every desk action x own/other unit, and auditing."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.desk.authz import permitted, permitted_for_audience, refusal
from bot.errors import PermissionDenied
from bot.services import Services
from store.enums import CaseKind, Role
from store.models import Case, Event, Officer

OWN, OTHER = 1, 2
ACTIONS = (
    "view",
    "reveal",
    "reply",
    "ask_complete",
    "claim",
    "dispose",
    "extend",
    "decide",
    "start_processing",
    "post_followup",
    "close",
    "hold",
    "resume",
    "archive",
    "not_our_authority",
    "register",
    "answer",
)
EVERYTHING_BUT_ANSWER = frozenset(ACTIONS) - {"answer"}
UNIT_WORK = frozenset(
    {
        "view",
        "reveal",
        "reply",
        "ask_complete",
        "claim",
        "start_processing",
        "post_followup",
        "close",
        "hold",
        "resume",
    }
)

# (role, kind of case) -> (allowed on a case of the officer's own unit, on another unit's case)
EXPECTED: dict[tuple[Role, CaseKind], tuple[frozenset[str], frozenset[str]]] = {}
for kind in (CaseKind.INFORMATION_REQUEST, CaseKind.COMPLAINT):
    EXPECTED |= {
        (Role.ADMIN, kind): (EVERYTHING_BUT_ANSWER, EVERYTHING_BUT_ANSWER),
        (Role.PPID_UTAMA, kind): (EVERYTHING_BUT_ANSWER, EVERYTHING_BUT_ANSWER),
        (Role.ATASAN, kind): (frozenset({"view"}), frozenset({"view"})),
        (Role.PPID_PELAKSANA, kind): (UNIT_WORK | {"extend", "decide"}, frozenset()),
        (Role.UNIT_OFFICER, kind): (UNIT_WORK, frozenset()),
    }
_ATASAN_ON_OBJECTIONS = frozenset({"view", "reveal", "reply", "claim", "answer"})
EXPECTED |= {
    (Role.ADMIN, CaseKind.OBJECTION): (EVERYTHING_BUT_ANSWER, EVERYTHING_BUT_ANSWER),
    (Role.PPID_UTAMA, CaseKind.OBJECTION): (EVERYTHING_BUT_ANSWER, EVERYTHING_BUT_ANSWER),
    (Role.ATASAN, CaseKind.OBJECTION): (_ATASAN_ON_OBJECTIONS, _ATASAN_ON_OBJECTIONS),
    (Role.PPID_PELAKSANA, CaseKind.OBJECTION): (frozenset({"view"}), frozenset()),
    (Role.UNIT_OFFICER, CaseKind.OBJECTION): (frozenset({"view"}), frozenset()),
}


@pytest.mark.parametrize(("role", "kind"), sorted(EXPECTED))
@pytest.mark.parametrize("action", ACTIONS)
def test_matrix(role: Role, kind: CaseKind, action: str) -> None:
    officer = Officer(name="x", role=role.value, unit_id=OWN)
    own = Case(kind=kind.value, reference="R", status="s", channel="telegram", unit_id=OWN)
    other = own.model_copy(update={"unit_id": OTHER})
    allowed_own, allowed_other = EXPECTED[(role, kind)]
    assert permitted(officer, action, own) is (action in allowed_own)
    assert permitted(officer, action, other) is (action in allowed_other)


@pytest.mark.parametrize("action", ACTIONS)
def test_undisposed_case_is_nobody_elses_unit(action: str) -> None:
    case = Case(kind="complaint", reference="R", status="s", channel="telegram", unit_id=None)
    for role in (Role.PPID_PELAKSANA, Role.UNIT_OFFICER):
        assert not permitted(Officer(name="x", role=role.value, unit_id=OWN), action, case)


@pytest.mark.parametrize("action", ACTIONS)
def test_strangers_and_deactivated_officers_may_do_nothing(action: str) -> None:
    case = Case(kind="complaint", reference="R", status="s", channel="telegram", unit_id=OWN)
    assert not permitted(None, action, case)
    retired = Officer(name="x", role=Role.ADMIN.value, active=False)
    assert not permitted(retired, action, case)


def test_an_anonymous_complainant_is_revealed_to_the_desk_only() -> None:
    case = Case(
        kind="complaint", reference="R", status="s", channel="telegram", unit_id=OWN, anonymous=True
    )
    for role, allowed in (
        (Role.ADMIN, True),
        (Role.PPID_UTAMA, True),
        (Role.ATASAN, False),
        (Role.PPID_PELAKSANA, False),
        (Role.UNIT_OFFICER, False),
    ):
        officer = Officer(name="x", role=role.value, unit_id=OWN)
        assert permitted(officer, "reveal", case) is allowed
        assert permitted(officer, "view", case) is True


def test_register_and_lists_need_no_case() -> None:
    assert permitted(Officer(name="x", role=Role.UNIT_OFFICER.value, unit_id=1), "view", None)
    assert permitted(Officer(name="x", role=Role.ADMIN.value), "register", None)
    assert not permitted(
        Officer(name="x", role=Role.UNIT_OFFICER.value, unit_id=1), "register", None
    )


def test_audience_of_a_unit_chat() -> None:
    case = Case(
        kind="information_request",
        reference="R",
        status="registered",
        channel="telegram",
        unit_id=OWN,
    )
    roles = frozenset({Role.PPID_PELAKSANA, Role.UNIT_OFFICER})
    assert permitted_for_audience(roles, OWN, "decide", case)
    assert not permitted_for_audience(roles, OWN, "dispose", case)
    assert not permitted_for_audience(roles, OTHER, "claim", case)


async def test_a_refusal_is_audited(services: Services) -> None:
    now = services.clock.now()
    async with services.db.transaction() as session:
        case = Case(
            kind="complaint",
            reference="ADU/2026/000009",
            status="unverified",
            channel="telegram",
            received_at=now,
        )
        officer = Officer(name="Tono", role=Role.UNIT_OFFICER.value)
        session.add_all([case, officer])
        await session.flush()
        denied = await refusal(session, officer, "archive", case, now=now, who="telegram:9")
        assert isinstance(denied, PermissionDenied) and "ADU/2026/000009" in str(denied)
        stranger = await refusal(session, None, "view", case, now=now, who="telegram:9")
        assert stranger is not None and stranger.key == "desk.not_an_officer"
        assert await refusal(session, officer, "register", None, now=now, who="x") is not None
    async with services.db.session() as session:
        events = (
            await session.exec(
                select(Event).where(Event.action == "permission_denied").order_by(col(Event.id))
            )
        ).all()
    assert [(e.actor.split(":")[0], e.data["attempted"]) for e in events] == [
        ("officer", "archive"),
        ("telegram", "view"),
        ("officer", "register"),
    ]


def _case(kind: CaseKind, unit_id: int, *, anonymous: bool = False) -> Case:
    return Case(kind=kind.value, reference="X", status="registered", channel="telegram",
                unit_id=unit_id, anonymous=anonymous)  # fmt: skip


def test_an_officer_with_several_roles_may_do_what_any_of_them_allows() -> None:
    # The PPID Pelaksana of a unit who is also the Atasan PPID (a small body).
    both = Officer(name="x", role=Role.PPID_PELAKSANA.value, unit_id=OWN)
    both.set_roles({Role.PPID_PELAKSANA, Role.ATASAN})
    assert both.roles == {Role.PPID_PELAKSANA, Role.ATASAN}
    assert permitted(both, "answer", _case(CaseKind.OBJECTION, OTHER))  # as the Atasan
    assert permitted(both, "decide", _case(CaseKind.INFORMATION_REQUEST, OWN))  # as PPID
    assert not permitted(both, "decide", _case(CaseKind.INFORMATION_REQUEST, OTHER))
    assert permitted(both, "view", _case(CaseKind.COMPLAINT, OTHER))  # the Atasan sees all
    assert not permitted(both, "dispose", _case(CaseKind.COMPLAINT, OWN))  # desk work only
    # Neither role shows an anonymous complainant's identity to the unit.
    assert not permitted(both, "reveal", _case(CaseKind.COMPLAINT, OWN, anonymous=True))
    both.active = False
    assert not permitted(both, "view", _case(CaseKind.COMPLAINT, OWN))


def test_set_roles_keeps_the_first_role_in_role_order_and_needs_one() -> None:
    officer = Officer(name="x", role=Role.ADMIN.value)
    officer.set_roles([Role.UNIT_OFFICER, Role.ATASAN])
    assert (officer.role, officer.extra_roles) == ("atasan", ["unit_officer"])
    with pytest.raises(ValueError, match="at least one role"):
        officer.set_roles([])
