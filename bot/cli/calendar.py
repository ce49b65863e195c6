"""`loket calendar ...`: explain due dates and set the body's own closures."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.app import Services
from bot.calendar import DueDateExplanation
from bot.calendar_overrides import remove_override, set_override
from bot.cli.common import actor, console, print_json, run
from bot.i18n import t
from bot.workflow.rules import build_calendar, load_rules
from store.enums import OverrideKind

calendar_app = typer.Typer(help="Working-day calendar: explain due dates, close or open dates.")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(t("cli.bad_date", None, value=value)) from None


@calendar_app.command("explain")
def explain(
    start: Annotated[str, typer.Option("--from", help="Day of receipt (YYYY-MM-DD), day 0")],
    days: Annotated[int, typer.Option(help="Working days to count", min=0)] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print the due date N working days after a date, and each non-working day skipped."""
    day = _date(start)

    async def work(svc: Services) -> DueDateExplanation:
        try:
            async with svc.db.session() as session:
                calendar = (await load_rules(session, svc.settings)).calendar
        except (OperationalError, ProgrammingError):
            # Not initialised yet: there are no stored overrides, only the settings' ones.
            calendar = build_calendar(svc.settings)
        return calendar.explain(day, days)

    result = run(work)
    if as_json:
        print_json(result.as_dict())
        return
    console.print(
        t("cli.explain_due", None, days=days, start=result.start, due=result.due), highlight=False
    )
    for skipped in result.skipped:
        console.print(f"  - {skipped.date} ({skipped.date:%a}): {skipped.name}", highlight=False)


@calendar_app.command("close")
def close(
    day: Annotated[str, typer.Argument(help="Date to close (YYYY-MM-DD)")],
    name: Annotated[str, typer.Argument(help="Why, e.g. 'Cuti bersama daerah'")],
) -> None:
    """Close a date for this body; open cases' due dates are recomputed."""
    target = _date(day)

    async def work(svc: Services) -> int:
        async with svc.db.transaction() as session:
            return await set_override(
                session,
                target,
                OverrideKind.CLOSED,
                name,
                settings=svc.settings,
                actor=actor(),
                now=svc.clock.now(),
            )

    changed = run(work)
    console.print(t("cli.calendar_closed", None, date=target, count=changed), highlight=False)


@calendar_app.command("open")
def open_(
    day: Annotated[str, typer.Argument(help="Date to work on (YYYY-MM-DD)")],
    name: Annotated[str, typer.Option(help="Why")] = "",
) -> None:
    """Make a date a working day (e.g. a cuti bersama the body works); recomputes open cases."""
    target = _date(day)

    async def work(svc: Services) -> int:
        async with svc.db.transaction() as session:
            return await set_override(
                session,
                target,
                OverrideKind.OPEN,
                name,
                settings=svc.settings,
                actor=actor(),
                now=svc.clock.now(),
            )

    changed = run(work)
    console.print(t("cli.calendar_opened", None, date=target, count=changed), highlight=False)


@calendar_app.command("reset")
def reset(day: Annotated[str, typer.Argument(help="Date (YYYY-MM-DD)")]) -> None:
    """Remove this body's override for a date (back to the national calendar)."""
    target = _date(day)

    async def work(svc: Services) -> int:
        async with svc.db.transaction() as session:
            return await remove_override(
                session, target, settings=svc.settings, actor=actor(), now=svc.clock.now()
            )

    changed = run(work)
    console.print(t("cli.calendar_reset", None, date=target, count=changed), highlight=False)
