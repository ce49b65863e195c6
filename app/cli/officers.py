"""`loket officers ...`: register, edit, list and deactivate the officers who work cases.

One person is one officer, whatever roles they hold: a second role is given with
`officers edit --add-role`, never by registering the person again (a second record with the
same Telegram id or email would split their cases and reminders between two officers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.cli.common import actor, cli_language, console, print_json, run, say
from app.cli.setup import unit_by_code
from bot.cases.audit import record_event
from bot.desk.authz import UNIT_ROLES
from bot.errors import DomainError, NotFoundError
from bot.i18n import t
from bot.intake.validation import normalise_phone, validate_email
from bot.labels import roles_label
from bot.services import Services
from store.enums import Role
from store.models import Officer, Unit

officers_app = typer.Typer(help="Officers who work cases, with their roles and unit.")

# `--email -` and the like: remove the value instead of changing it.
CLEAR = "-"
NAME_MAX = 255

RoleOption = Annotated[list[Role] | None, typer.Option("--role", help="Role (repeat for several)")]


def clean_name(raw: str) -> str:
    """The officer's name trimmed; DomainError when empty or too long."""
    name = " ".join(raw.split())
    if not name:
        raise DomainError("cli.officer_name_empty")
    if len(name) > NAME_MAX:
        raise DomainError("cli.name_too_long", max=NAME_MAX)
    return name


def telegram_user_id(raw: str) -> int:
    """A Telegram user id: a positive whole number (group chats are negative, users are not)."""
    value = raw.strip()
    if not value.isdigit() or int(value) <= 0 or int(value) >= 2**63:
        raise DomainError("cli.bad_telegram_id", value=raw)
    return int(value)


@dataclass
class OfficerInput:
    """What the command line says about an officer; None leaves a field as it is."""

    name: str | None = None
    roles: frozenset[Role] | None = None
    add_roles: frozenset[Role] = frozenset()
    remove_roles: frozenset[Role] = frozenset()
    unit: str | None = None
    telegram_id: str | None = None
    email: str | None = None
    phone: str | None = None
    position: str | None = None
    active: bool | None = None


async def _holder(
    session: AsyncSession, officer: Officer, field: str, value: object
) -> Officer | None:
    """Another active officer who already has this Telegram id or email."""
    column = col(Officer.telegram_user_id) if field == "telegram" else func.lower(Officer.email)
    wanted = value if field == "telegram" else str(value).lower()
    stmt = select(Officer).where(column == wanted, col(Officer.active))
    if officer.id is not None:
        stmt = stmt.where(col(Officer.id) != officer.id)
    return (await session.exec(stmt)).first()


async def apply(
    svc: Services, session: AsyncSession, officer: Officer, given: OfficerInput, *, new: bool
) -> list[str]:
    """Check `given` and write it onto `officer`; the names of the fields that changed.

    Raises DomainError (nothing written) for a bad value, a role without the unit it needs, or
    a Telegram id or email that another active officer already has.
    """
    changed: dict[str, Any] = {}
    if given.name is not None:
        changed["name"] = clean_name(given.name)
    if given.unit is not None:
        changed["unit_id"] = (
            None if given.unit == CLEAR else (await unit_by_code(svc, given.unit)).id
        )
    if given.telegram_id is not None:
        tid = None if given.telegram_id == CLEAR else telegram_user_id(given.telegram_id)
        changed["telegram_user_id"] = tid
    if given.email is not None:
        changed["email"] = None if given.email == CLEAR else validate_email(given.email)
    if given.phone is not None:
        changed["phone"] = None if given.phone == CLEAR else normalise_phone(given.phone)
    if given.position is not None:
        changed["position"] = None if given.position == CLEAR else given.position.strip() or None
    if given.active is not None:
        changed["active"] = given.active
    roles = set(officer.roles) if not new else set()
    if given.roles is not None:
        roles = set(given.roles)
    roles = (roles | given.add_roles) - given.remove_roles
    if not roles:
        raise DomainError("cli.officer_needs_role")
    unit_id = changed.get("unit_id", officer.unit_id)
    if unit_id is None and (needs := sorted(roles & UNIT_ROLES)):
        raise DomainError("cli.officer_needs_unit", role=roles_label(needs, cli_language()))
    active = changed.get("active", officer.active)
    for field, value in (
        ("telegram", changed.get("telegram_user_id", officer.telegram_user_id)),
        ("email", changed.get("email", officer.email)),
    ):
        if value is None or not active:
            continue
        other = await _holder(session, officer, field, value)
        if other is not None:
            key = "cli.officer_exists" if new else "cli.officer_contact_taken"
            what = t(f"cli.contact.{field}", cli_language())
            raise DomainError(key, id=other.id, name=other.name, what=what)
    before = (officer.role, list(officer.extra_roles or ())) if not new else None
    officer.set_roles(roles)
    if before is not None and before != (officer.role, list(officer.extra_roles)):
        changed["roles"] = sorted(roles)
    names = [k for k, v in changed.items() if k == "roles" or getattr(officer, k) != v]
    for key, value in changed.items():
        if key != "roles":
            setattr(officer, key, value)
    if changed.get("active") is False:
        # Free the Telegram id: the person may be registered again later.
        officer.telegram_user_id = None
    return names


async def find_officer(session: AsyncSession, ident: str) -> Officer:
    """The officer with this id, or with exactly this name (case and spacing ignored).

    Raises NotFoundError when there is none, DomainError naming the ids when a name is shared.
    """
    if ident.strip().lstrip("#").isdigit():
        officer = await session.get(Officer, int(ident.strip().lstrip("#")))
        if officer is None:
            raise NotFoundError("cli.officer_not_found", id=ident)
        return officer
    wanted = " ".join(ident.split()).lower()
    if not wanted:
        raise DomainError("cli.officer_name_empty")
    stmt = select(Officer).order_by(col(Officer.active).desc(), col(Officer.id))
    found = [
        o for o in (await session.exec(stmt)).all() if " ".join(o.name.split()).lower() == wanted
    ]
    active = [o for o in found if o.active] or found
    if not active:
        raise NotFoundError("cli.officer_name_not_found", name=ident)
    if len(active) > 1:
        ids = ", ".join(f"#{o.id}" for o in active)
        raise DomainError("cli.officer_ambiguous", name=ident, ids=ids)
    return active[0]


def _in_order(roles: frozenset[Role]) -> list[str]:
    return [r.value for r in Role if r in roles]


def _roles(values: list[Role] | None) -> frozenset[Role] | None:
    return frozenset(values) if values else None


@officers_app.command("add")
def officers_add(
    name: Annotated[str, typer.Argument(help="Officer's name")],
    role: RoleOption = None,
    unit: Annotated[str | None, typer.Option(help="Unit code")] = None,
    telegram_id: Annotated[str | None, typer.Option(help="Telegram user id")] = None,
    email: Annotated[str | None, typer.Option(help="Email address")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number")] = None,
    position: Annotated[str | None, typer.Option(help="Position (jabatan)")] = None,
) -> None:
    """Register an officer with one or more roles."""
    given = OfficerInput(
        name=name,
        roles=_roles(role),
        unit=unit,
        telegram_id=telegram_id,
        email=email,
        phone=phone,
        position=position,
    )

    async def work(svc: Services) -> Officer:
        async with svc.db.transaction() as session:
            officer = Officer(name="", role=Role.ADMIN.value)
            await apply(svc, session, officer, given, new=True)
            session.add(officer)
            await session.flush()
            await record_event(
                session,
                case_id=None,
                actor=actor(),
                action="officer_added",
                at=svc.clock.now(),
                data={
                    "officer_id": officer.id,
                    "role": officer.role,
                    "roles": sorted(officer.roles),
                },
            )
            return officer

    officer = run(work)
    roles = roles_label(officer.roles, cli_language())
    say("cli.officer_added", id=officer.id, name=officer.name, role=roles)


@officers_app.command("edit")
def officers_edit(
    officer_ref: Annotated[str, typer.Argument(metavar="ID|NAME", help="Officer id or name")],
    name: Annotated[str | None, typer.Option(help="New name")] = None,
    role: RoleOption = None,
    add_role: Annotated[list[Role] | None, typer.Option(help="Give one more role")] = None,
    remove_role: Annotated[list[Role] | None, typer.Option(help="Take a role away")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit code (- for none)")] = None,
    telegram_id: Annotated[str | None, typer.Option(help="Telegram user id (- for none)")] = None,
    email: Annotated[str | None, typer.Option(help="Email address (- for none)")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number (- for none)")] = None,
    position: Annotated[str | None, typer.Option(help="Position (- for none)")] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive", help="Active")] = None,
) -> None:
    """Change an officer's name, roles, unit, Telegram id, email, phone or whether active."""
    given = OfficerInput(
        name=name,
        roles=_roles(role),
        add_roles=frozenset(add_role or ()),
        remove_roles=frozenset(remove_role or ()),
        unit=unit,
        telegram_id=telegram_id,
        email=email,
        phone=phone,
        position=position,
        active=active,
    )
    if given == OfficerInput():
        raise DomainError("cli.officer_nothing_to_change", ref=officer_ref)

    async def work(svc: Services) -> tuple[Officer, list[str]]:
        async with svc.db.transaction() as session:
            officer = await find_officer(session, officer_ref)
            fields = await apply(svc, session, officer, given, new=False)
            session.add(officer)
            await record_event(
                session,
                case_id=None,
                actor=actor(),
                action="officer_edited",
                at=svc.clock.now(),
                data={"officer_id": officer.id, "fields": fields, "roles": sorted(officer.roles)},
            )
            return officer, fields

    officer, fields = run(work)
    if not fields:
        say("cli.officer_unchanged", id=officer.id, name=officer.name)
        return
    lang = cli_language()
    labels = ", ".join(t(f"cli.officer_field.{f}", lang) for f in fields)
    say("cli.officer_edited", id=officer.id, name=officer.name, fields=labels)


@officers_app.command("list")
def officers_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List active officers."""

    async def work(svc: Services) -> list[tuple[Officer, str | None]]:
        async with svc.db.session() as session:
            stmt = (
                select(Officer, Unit.code)
                .join(Unit, col(Officer.unit_id) == col(Unit.id), isouter=True)
                .where(Officer.active == True)  # noqa: E712
                .order_by(col(Officer.id))
            )
            return list((await session.exec(stmt)).all())

    rows = run(work)
    if as_json:
        print_json(
            [
                {**o.model_dump(exclude={"created_at"}), "roles": _in_order(o.roles), "unit": code}
                for o, code in rows
            ]
        )
        return
    lang = cli_language()
    table = Table(
        "ID", t("cli.col_name", lang), t("cli.col_role", lang), t("cli.col_unit", lang), "Telegram"
    )
    for o, code in rows:
        table.add_row(
            str(o.id),
            escape(o.name),
            escape(roles_label(o.roles, lang)),
            escape(code or "-"),
            str(o.telegram_user_id or "-"),
        )
    console.print(table)


@officers_app.command("remove")
def officers_remove(
    officer_ref: Annotated[str, typer.Argument(metavar="ID|NAME", help="Officer id or name")],
) -> None:
    """Deactivate an officer (their past actions stay in the audit log)."""

    async def work(svc: Services) -> Officer:
        async with svc.db.transaction() as session:
            officer = await find_officer(session, officer_ref)
            if not officer.active:
                raise DomainError("cli.officer_already_inactive", id=officer.id, name=officer.name)
            officer.active = False
            # Free the Telegram id: the person may be registered again later.
            officer.telegram_user_id = None
            session.add(officer)
            await record_event(
                session,
                case_id=None,
                actor=actor(),
                action="officer_removed",
                at=svc.clock.now(),
                data={"officer_id": officer.id},
            )
            return officer

    officer = run(work)
    say("cli.officer_removed", id=officer.id, name=officer.name)
