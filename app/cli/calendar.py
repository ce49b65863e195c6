"""`loket calendar ...`: explain due dates and set the body's own closures."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import actor, cli_language, parse_date, print_json, run, say
from bot.errors import DomainError
from bot.i18n import t
from store.enums import OverrideKind

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from bot.calendar.workdays import DueDateExplanation
    from bot.services import Services

# The calendar (and the holiday data), the store and the core are imported by the commands
# when they run, not by `loket --help` (see app/cli/common.py).

# A year of working days: far beyond any statutory period, and still quick to explain.
MAX_DAYS = 260

calendar_app = typer.Typer(help="Working-day calendar: explain due dates, close or open dates.")


@calendar_app.command("explain")
def explain(
    start: Annotated[str, typer.Option("--from", help="Day of receipt (YYYY-MM-DD), day 0")],
    days: Annotated[int, typer.Option(help="Working days to count", min=0, max=MAX_DAYS)] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print the due date N working days after a date, and each non-working day skipped."""
    from bot.workflow.rules import build_calendar, load_rules

    day = parse_date(start)

    async def work(svc: Services) -> DueDateExplanation:
        if await _initialised(svc):
            async with svc.db.session() as session:
                calendar = (await load_rules(session, svc.settings)).calendar
        else:
            # No schema yet: no stored overrides, only the settings' own closures.
            calendar = build_calendar(svc.settings)
        return calendar.explain(day, days)

    result = run(work)
    if as_json:
        print_json(result.as_dict())
        return
    say("cli.explain_due", days=days, start=result.start, due=result.due)
    weekdays = t("cli.weekdays", cli_language()).split(",")
    for skipped in result.skipped:
        typer.echo(f"  - {skipped.date} ({weekdays[skipped.date.weekday()]}): {skipped.name}")


async def _initialised(svc: Services) -> bool:
    """True when `loket init` has created the calendar table (explain works without it)."""
    from sqlalchemy import inspect

    from store.models import CalendarOverride

    def has_table(sync_conn: Connection) -> bool:
        return inspect(sync_conn).has_table(CalendarOverride.__tablename__)

    async with svc.db.engine.connect() as conn:
        return await conn.run_sync(has_table)


def _set(day: str, kind: OverrideKind, name: str) -> tuple[dt.date, int]:
    from bot.calendar.overrides import set_override

    target = parse_date(day)
    if kind == OverrideKind.CLOSED and not name.strip():
        raise DomainError("cli.calendar_reason_empty")

    async def work(svc: Services) -> int:
        async with svc.db.transaction() as session:
            return await set_override(
                session,
                target,
                kind,
                name,
                settings=svc.settings,
                actor=actor(),
                now=svc.clock.now(),
            )

    return target, run(work)


@calendar_app.command("close")
def close(
    day: Annotated[str, typer.Argument(help="Date to close (YYYY-MM-DD)")],
    name: Annotated[str, typer.Argument(help="Why, e.g. 'Cuti bersama daerah'")],
) -> None:
    """Close a date for this body; open cases' due dates are recomputed."""
    target, changed = _set(day, OverrideKind.CLOSED, name)
    say("cli.calendar_closed", date=target, count=changed)


@calendar_app.command("open")
def open_(
    day: Annotated[str, typer.Argument(help="Date to work on (YYYY-MM-DD)")],
    name: Annotated[str, typer.Option(help="Why")] = "",
) -> None:
    """Make a date a working day (e.g. a cuti bersama the body works); recomputes open cases."""
    target, changed = _set(day, OverrideKind.OPEN, name)
    say("cli.calendar_opened", date=target, count=changed)


@calendar_app.command("reset")
def reset(day: Annotated[str, typer.Argument(help="Date (YYYY-MM-DD)")]) -> None:
    """Remove this body's override for a date (back to the national calendar)."""
    from bot.calendar.overrides import remove_override

    target = parse_date(day)

    async def work(svc: Services) -> int:
        async with svc.db.transaction() as session:
            return await remove_override(
                session, target, settings=svc.settings, actor=actor(), now=svc.clock.now()
            )

    changed = run(work)
    say("cli.calendar_reset", date=target, count=changed)


@calendar_app.command("recompute")
def recompute() -> None:
    """Recompute open cases' due dates after a change of calendar settings or holiday data."""
    from bot.calendar.overrides import recompute_open_cases
    from bot.workflow.rules import load_rules

    async def work(svc: Services) -> int:
        async with svc.db.transaction() as session:
            rules = await load_rules(session, svc.settings)
            return await recompute_open_cases(session, rules, actor(), svc.clock.now())

    say("cli.calendar_recomputed", count=run(work))
