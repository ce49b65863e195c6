"""`loket init` and `loket units ...`: setting up a body (officers: app.cli.officers)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from app.cli.common import actor, cli_language, console, print_json, run, say
from bot.errors import DomainError, NotFoundError
from bot.i18n import t
from bot.intake.validation import validate_email

if TYPE_CHECKING:
    from bot.services import Services
    from store.models import Unit

# The store (Alembic with its migrations) is imported by the commands when they run.

UNIT_CODE_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
NAME_MAX = 255

units_app = typer.Typer(help="Units (perangkat daerah / PPID Pelaksana) cases go to.")


def init() -> None:
    """Create or update the database schema (safe to run again)."""
    from bot.workflow.report_columns import migration_steps
    from store.migrate import upgrade

    async def work(svc: Services) -> list[str]:
        return await upgrade(svc.db, migration_steps(svc.settings))

    heads = run(work)
    say("cli.init_done", heads=", ".join(heads))


def unit_code(raw: str) -> str:
    """A unit code as stored: lower case letters, digits, `-` and `_`; DomainError otherwise."""
    code = raw.strip().lower()
    if not code:
        raise DomainError("cli.unit_code_empty")
    if not UNIT_CODE_RE.fullmatch(code):
        raise DomainError("cli.unit_code_invalid", code=raw)
    return code


def unit_name(raw: str) -> str:
    """A unit's full name, spaces tidied; DomainError when empty or too long."""
    name = " ".join(raw.split())
    if not name:
        raise DomainError("cli.unit_name_empty")
    if len(name) > NAME_MAX:
        raise DomainError("cli.name_too_long", max=NAME_MAX)
    return name


def chat_id_of(value: int) -> int:
    """A Telegram chat id: any whole number but 0 (groups are negative, private chats positive)."""
    if value == 0 or abs(value) >= 2**63:
        raise DomainError("cli.bad_chat_id", value=value)
    return value


async def unit_by_code(svc: Services, code: str) -> Unit:
    """The unit with this code, or NotFoundError."""
    from sqlmodel import select

    from store.models import Unit

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
    from sqlalchemy.exc import IntegrityError

    from bot.cases.audit import record_event
    from store.models import Unit

    unit = Unit(
        code=unit_code(code),
        name=unit_name(name),
        telegram_chat_id=None if telegram_chat is None else chat_id_of(telegram_chat),
        email=validate_email(email) if email is not None else None,
        is_inspectorate=inspectorate,
    )

    async def work(svc: Services) -> Unit:
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

    chat = chat_id_of(chat_id)

    async def work(svc: Services) -> None:
        unit = await unit_by_code(svc, code)
        async with svc.db.transaction() as session:
            unit.telegram_chat_id = chat
            session.add(unit)

    run(work)
    say("cli.unit_chat_set", code=code)


@units_app.command("list")
def units_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List units."""
    from sqlmodel import col, select

    from store.models import Unit

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
