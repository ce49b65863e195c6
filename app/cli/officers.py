"""`loket officers ...`: register, edit, list and deactivate the officers who work cases.

One person is one officer, whatever roles they hold: a second role is given with
`officers edit --add-role`, never by registering the person again (a second record with the
same Telegram id or email would split their cases and reminders between two officers).
Who the officer is on each channel they work from (`--identity whatsapp:0812...`; the Telegram
id also as `--telegram-id`) is how the desk recognises them there (bot.desk.identities).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from app.cli.common import actor, cli_language, console, print_json, run, say
from app.cli.identities import channel_identity, identity_channel, parse_identity
from app.cli.setup import unit_by_code
from bot.errors import DomainError, NotFoundError
from bot.i18n import t
from bot.intake.validation import normalise_phone, validate_email
from bot.labels import roles_label
from store.enums import Channel, Role

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.desk.identities import ChannelIdentity
    from bot.services import Services
    from store.models import Officer

# The store and the core are imported by the functions that use them when a command runs, not
# by `loket --help` (see app/cli/common.py).

officers_app = typer.Typer(help="Officers who work cases, with their roles and unit.")

# `--email -` and the like: remove the value instead of changing it.
CLEAR = "-"
NAME_MAX = 255

RoleOption = Annotated[list[Role] | None, typer.Option("--role", help="Role (repeat for several)")]
IdentityOption = Annotated[
    list[str] | None,
    typer.Option(
        metavar="CHANNEL:ID", help="Identity on a channel, e.g. whatsapp:0812... (repeat)"
    ),
]


def clean_name(raw: str) -> str:
    """The officer's name trimmed; DomainError when empty or too long."""
    name = " ".join(raw.split())
    if not name:
        raise DomainError("cli.officer_name_empty")
    if len(name) > NAME_MAX:
        raise DomainError("cli.name_too_long", max=NAME_MAX)
    return name


def identity_field(channel: str) -> str:
    """The name an identity change has in the audit log and the "changed: ..." sentence (the
    Telegram id keeps the name it had when it was a column of its own)."""
    return "telegram_user_id" if channel == Channel.TELEGRAM else f"identity_{channel}"


def field_label(field: str, language: str) -> str:
    """How a changed field is named to the operator."""
    if field.startswith("identity_"):
        return t(f"desk_identity.field.{field.removeprefix('identity_')}", language)
    return t(f"cli.officer_field.{field}", language)


def _what(channel: str) -> str:
    """An identity as a conflict sentence names it ("that Telegram id ...")."""
    if channel == Channel.TELEGRAM:
        return t("cli.contact.telegram", cli_language())
    return t(f"desk_identity.what.{channel}", cli_language())


@dataclass
class OfficerInput:
    """What the command line says about an officer; None leaves a field as it is."""

    name: str | None = None
    roles: frozenset[Role] | None = None
    add_roles: frozenset[Role] = frozenset()
    remove_roles: frozenset[Role] = frozenset()
    unit: str | None = None
    telegram_id: str | None = None
    identities: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None
    position: str | None = None
    active: bool | None = None


def wanted_identities(given: OfficerInput) -> dict[str, ChannelIdentity | None]:
    """The identities the command line sets, by channel (None: remove it); DomainError for a
    malformed one or two different ones on the same channel."""
    raw = [f"{Channel.TELEGRAM.value}:{given.telegram_id}"] if given.telegram_id is not None else []
    raw += given.identities
    wanted: dict[str, ChannelIdentity | None] = {}
    for text in raw:
        channel, value = parse_identity(text)
        channel = identity_channel(channel)
        who = None if value == CLEAR else channel_identity(channel, value)
        if channel in wanted and wanted[channel] != who:
            raise DomainError("desk_identity.twice", channel=channel)
        wanted[channel] = who
    return wanted


async def _email_holder(session: AsyncSession, officer: Officer, email: str) -> Officer | None:
    """Another active officer who already has this email."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from store.models import Officer

    stmt = select(Officer).where(func.lower(Officer.email) == email.lower(), col(Officer.active))
    if officer.id is not None:
        stmt = stmt.where(col(Officer.id) != officer.id)
    return (await session.exec(stmt)).first()


async def _identity_holder(
    session: AsyncSession, officer: Officer, who: ChannelIdentity
) -> Officer | None:
    """Another officer who already has this identity."""
    from bot.desk.identities import officer_by_identity

    holder = await officer_by_identity(session, who)
    return None if holder is None or holder.id == officer.id else holder


async def apply(
    svc: Services, session: AsyncSession, officer: Officer, given: OfficerInput, *, new: bool
) -> list[str]:
    """Check `given` and write it onto `officer` (added and flushed); the names of the fields
    that changed.

    Raises DomainError (nothing written) for a bad value, a role without the unit it needs, or
    an identity (a Telegram id, ...) or email that another active officer already has.
    """
    from bot.desk.authz import UNIT_ROLES
    from bot.desk.identities import drop_identities, set_identity

    changed: dict[str, Any] = {}
    if given.name is not None:
        changed["name"] = clean_name(given.name)
    if given.unit is not None:
        changed["unit_id"] = (
            None if given.unit == CLEAR else (await unit_by_code(svc, given.unit)).id
        )
    identities = wanted_identities(given)
    for channel, who in identities.items():
        changed[identity_field(channel)] = who
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
    if active:
        holders = [
            (_what(channel), await _identity_holder(session, officer, who))
            for channel, who in identities.items()
            if who is not None
        ]
        email = changed.get("email", officer.email)
        if email is not None:
            what = t("cli.contact.email", cli_language())
            holders.append((what, await _email_holder(session, officer, email)))
        for what, other in holders:
            if other is not None:
                key = "cli.officer_exists" if new else "cli.officer_contact_taken"
                raise DomainError(key, id=other.id, name=other.name, what=what)
    before = (officer.role, list(officer.extra_roles or ())) if not new else None
    officer.set_roles(roles)
    if before is not None and before != (officer.role, list(officer.extra_roles)):
        changed["roles"] = sorted(roles)
    fields = {identity_field(channel): channel for channel in identities}
    differs = {
        k: k == "roles" or getattr(officer, k) != v for k, v in changed.items() if k not in fields
    }
    for key, value in changed.items():
        if key != "roles" and key not in fields:
            setattr(officer, key, value)
    session.add(officer)
    await session.flush()
    for key, channel in fields.items():
        differs[key] = await set_identity(session, officer, channel, identities[channel])
    if changed.get("active") is False:
        # Free their identities: the person may be registered again later.
        await drop_identities(session, officer)
    return [k for k in changed if differs[k]]


async def find_officer(session: AsyncSession, ident: str) -> Officer:
    """The officer with this id, or with exactly this name (case and spacing ignored).

    Raises NotFoundError when there is none, DomainError naming the ids when a name is shared.
    """
    from sqlmodel import col, select

    from store.models import Officer

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
    identity: IdentityOption = None,
    email: Annotated[str | None, typer.Option(help="Email address")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number")] = None,
    position: Annotated[str | None, typer.Option(help="Position (jabatan)")] = None,
) -> None:
    """Register an officer with one or more roles."""
    from bot.cases.audit import record_event
    from store.models import Officer

    given = OfficerInput(
        name=name,
        roles=_roles(role),
        unit=unit,
        telegram_id=telegram_id,
        identities=tuple(identity or ()),
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
    identity: IdentityOption = None,
    email: Annotated[str | None, typer.Option(help="Email address (- for none)")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number (- for none)")] = None,
    position: Annotated[str | None, typer.Option(help="Position (- for none)")] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive", help="Active")] = None,
) -> None:
    """Change an officer's name, roles, unit, Telegram id, email, phone or whether active."""
    from bot.cases.audit import record_event

    given = OfficerInput(
        name=name,
        roles=_roles(role),
        add_roles=frozenset(add_role or ()),
        remove_roles=frozenset(remove_role or ()),
        unit=unit,
        telegram_id=telegram_id,
        identities=tuple(identity or ()),
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
    labels = ", ".join(field_label(f, lang) for f in fields)
    say("cli.officer_edited", id=officer.id, name=officer.name, fields=labels)


@officers_app.command("list")
def officers_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List active officers."""
    from sqlmodel import col, select

    from bot.desk.identities import identities_of
    from store.models import Officer, Unit

    async def work(svc: Services) -> list[tuple[Officer, str | None, list[ChannelIdentity]]]:
        async with svc.db.session() as session:
            stmt = (
                select(Officer, Unit.code)
                .join(Unit, col(Officer.unit_id) == col(Unit.id), isouter=True)
                .where(Officer.active == True)  # noqa: E712
                .order_by(col(Officer.id))
            )
            rows = list((await session.exec(stmt)).all())
            return [(o, code, await identities_of(session, o.id)) for o, code in rows]

    rows = run(work)
    if as_json:
        print_json(
            [
                {
                    **o.model_dump(exclude={"created_at"}),
                    "roles": _in_order(o.roles),
                    "unit": code,
                    "identities": [str(i) for i in identities],
                }
                for o, code, identities in rows
            ]
        )
        return
    lang = cli_language()
    table = Table(
        "ID",
        t("cli.col_name", lang),
        t("cli.col_role", lang),
        t("cli.col_unit", lang),
        t("desk_identity.col", lang),
    )
    for o, code, identities in rows:
        table.add_row(
            str(o.id),
            escape(o.name),
            escape(roles_label(o.roles, lang)),
            escape(code or "-"),
            escape(", ".join(str(i) for i in identities) or "-"),
        )
    console.print(table)


@officers_app.command("remove")
def officers_remove(
    officer_ref: Annotated[str, typer.Argument(metavar="ID|NAME", help="Officer id or name")],
) -> None:
    """Deactivate an officer (their past actions stay in the audit log)."""
    from bot.cases.audit import record_event
    from bot.desk.identities import drop_identities

    async def work(svc: Services) -> Officer:
        async with svc.db.transaction() as session:
            officer = await find_officer(session, officer_ref)
            if not officer.active:
                raise DomainError("cli.officer_already_inactive", id=officer.id, name=officer.name)
            officer.active = False
            session.add(officer)
            # Free their identities: the person may be registered again later.
            await drop_identities(session, officer)
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
