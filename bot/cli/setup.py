"""`loket init`, `loket units ...` and `loket officers ...`: setting up a body."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.app import Services
from bot.audit import record_event
from bot.cli.common import actor, cli_language, console, print_json, run, say
from bot.errors import DomainError, NotFoundError
from bot.i18n import t
from store.enums import Role
from store.migrate import upgrade
from store.models import Officer, Unit

units_app = typer.Typer(help="Units (perangkat daerah / PPID Pelaksana) cases go to.")
officers_app = typer.Typer(help="Officers who work cases, with their role and unit.")


def init() -> None:
    """Create or update the database schema (safe to run again)."""

    async def work(svc: Services) -> list[str]:
        return await upgrade(svc.db)

    heads = run(work)
    say("cli.init_done", heads=", ".join(heads))


async def unit_by_code(svc: Services, code: str) -> Unit:
    """The unit with this code, or NotFoundError."""
    async with svc.db.session() as session:
        unit = (await session.exec(select(Unit).where(Unit.code == code.strip().lower()))).first()
    if unit is None:
        raise NotFoundError("cli.unit_not_found", code=code)
    return unit


@units_app.command("add")
def units_add(
    code: Annotated[str, typer.Argument(help="Short code, e.g. dinkes")],
    name: Annotated[str, typer.Argument(help="Full name of the unit")],
    telegram_chat: Annotated[int | None, typer.Option(help="Officer chat id")] = None,
    email: Annotated[str | None, typer.Option(help="Unit email address")] = None,
    inspectorate: Annotated[bool, typer.Option(help="Receives oversight complaints")] = False,
) -> None:
    """Add a unit."""

    async def work(svc: Services) -> Unit:
        unit = Unit(
            code=code.strip().lower(),
            name=name.strip(),
            telegram_chat_id=telegram_chat,
            email=email,
            is_inspectorate=inspectorate,
        )
        try:
            async with svc.db.transaction() as session:
                session.add(unit)
                await session.flush()
                await record_event(
                    session,
                    case_id=None,
                    actor=actor(),
                    action="unit_added",
                    at=svc.clock.now(),
                    data={"code": unit.code},
                )
        except IntegrityError:
            raise DomainError("cli.unit_exists", code=code) from None
        return unit

    unit = run(work)
    say("cli.unit_added", code=unit.code, name=unit.name)


# Group chat ids are negative (-100...): read them as the argument, not as an option.
@units_app.command("set-chat", context_settings={"ignore_unknown_options": True})
def units_set_chat(
    code: Annotated[str, typer.Argument(help="Unit code")],
    chat_id: Annotated[int, typer.Argument(help="Telegram chat id of the unit's officer chat")],
) -> None:
    """Set the Telegram chat where a unit's case cards are posted."""

    async def work(svc: Services) -> None:
        unit = await unit_by_code(svc, code)
        async with svc.db.transaction() as session:
            unit.telegram_chat_id = chat_id
            session.add(unit)

    run(work)
    say("cli.unit_chat_set", code=code)


@units_app.command("list")
def units_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List units."""

    async def work(svc: Services) -> list[Unit]:
        async with svc.db.session() as session:
            return list((await session.exec(select(Unit).order_by(col(Unit.name)))).all())

    units = run(work)
    if as_json:
        print_json([u.model_dump(exclude={"created_at"}) for u in units])
        return
    lang = cli_language()
    table = Table(t("cli.col_code", lang), t("cli.col_name", lang), t("cli.col_chat", lang))
    for u in units:
        table.add_row(escape(u.code), escape(u.name), str(u.telegram_chat_id or "-"))
    console.print(table)


@officers_app.command("add")
def officers_add(
    name: Annotated[str, typer.Argument(help="Officer's name")],
    role: Annotated[Role, typer.Option(help="Role of the officer")],
    unit: Annotated[str | None, typer.Option(help="Unit code")] = None,
    telegram_id: Annotated[int | None, typer.Option(help="Telegram user id")] = None,
    email: Annotated[str | None, typer.Option(help="Email address")] = None,
    position: Annotated[str | None, typer.Option(help="Position (jabatan)")] = None,
) -> None:
    """Register an officer."""

    async def work(svc: Services) -> Officer:
        unit_id = (await unit_by_code(svc, unit)).id if unit else None
        if role in (Role.PPID_PELAKSANA, Role.UNIT_OFFICER) and unit_id is None:
            raise DomainError("cli.officer_needs_unit", role=role.value)
        officer = Officer(
            name=name.strip(),
            role=role.value,
            unit_id=unit_id,
            telegram_user_id=telegram_id,
            email=email,
            position=position,
        )
        try:
            async with svc.db.transaction() as session:
                session.add(officer)
                await session.flush()
                await record_event(
                    session,
                    case_id=None,
                    actor=actor(),
                    action="officer_added",
                    at=svc.clock.now(),
                    data={"officer_id": officer.id, "role": officer.role},
                )
        except IntegrityError:
            raise DomainError("cli.officer_telegram_taken") from None
        return officer

    officer = run(work)
    say("cli.officer_added", id=officer.id, name=officer.name, role=officer.role)


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
        print_json([{**o.model_dump(exclude={"created_at"}), "unit": code} for o, code in rows])
        return
    lang = cli_language()
    table = Table(
        "ID", t("cli.col_name", lang), t("cli.col_role", lang), t("cli.col_unit", lang), "Telegram"
    )
    for o, code in rows:
        table.add_row(
            str(o.id), escape(o.name), o.role, escape(code or "-"), str(o.telegram_user_id or "-")
        )
    console.print(table)


@officers_app.command("remove")
def officers_remove(officer_id: Annotated[int, typer.Argument(help="Officer id")]) -> None:
    """Deactivate an officer (their past actions stay in the audit log)."""

    async def work(svc: Services) -> Officer:
        async with svc.db.transaction() as session:
            officer = await session.get(Officer, officer_id)
            if officer is None or not officer.active:
                raise NotFoundError("cli.officer_not_found", id=officer_id)
            officer.active = False
            # Free the Telegram id: the person may be registered again later (e.g. new role).
            officer.telegram_user_id = None
            session.add(officer)
            await record_event(
                session,
                case_id=None,
                actor=actor(),
                action="officer_removed",
                at=svc.clock.now(),
                data={"officer_id": officer_id},
            )
            return officer

    officer = run(work)
    say("cli.officer_removed", id=officer.id, name=officer.name)
