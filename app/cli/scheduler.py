"""`loket run`, `loket scheduler tick` and `loket scheduler preview`."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from app.cli.common import (
    check_year,
    cli_language,
    configure_logging,
    console,
    print_json,
    run,
    say,
)
from bot.clock import ensure_aware
from bot.errors import DomainError, LoketError
from bot.i18n import t
from bot.labels import channel_label

if TYPE_CHECKING:
    from bot.services import Services

scheduler_app = typer.Typer(help="Reminders, escalations and requester updates.")


def run_service() -> None:
    """Run the configured channels, the outbox dispatcher and the scheduler until Ctrl-C."""
    from app.runner import serve
    from store.migrate import pending

    configure_logging()

    async def work(svc: Services) -> None:
        # Validate at start-up: a service on a schema that `loket init` never created would
        # only log a traceback every minute.
        if await pending(svc.db):
            raise LoketError("db.not_initialised")  # the set-up, not the command line: exit 1
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve(svc, stop)

    run(work)


@scheduler_app.command("tick")
def scheduler_tick(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Run every job once for the current time and exit (for cron instead of `loket run`)."""
    from scheduler.tick import run_jobs

    async def work(svc: Services) -> dict[str, int]:
        return await run_jobs(svc.db, svc.settings, svc.clock.now())

    done = run(work)
    if as_json:
        print_json(done)
        return
    for job, count in done.items():
        say("sched.cli_job_failed" if count < 0 else "sched.cli_job_done", job=job, count=count)
    if any(count < 0 for count in done.values()):
        raise typer.Exit(1)


def _instant(value: str, svc: Services) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise DomainError("cli.bad_datetime", value=value) from None
    check_year(parsed.date(), value)
    return ensure_aware(parsed if parsed.tzinfo else parsed.replace(tzinfo=svc.settings.tz))


@scheduler_app.command("preview")
def scheduler_preview(
    at: Annotated[str, typer.Option("--at", help="Local time, e.g. 2026-04-16T09:00")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List what would be sent at that time, if the scheduler ran then. Sends nothing."""
    from bot.notify.delivery_failures import mask_address
    from scheduler.tick import preview

    async def work(svc: Services) -> list[dict[str, object]]:
        planned = await preview(svc.db, svc.settings, _instant(at, svc))
        return [
            {
                "new": p.new,
                "channel": p.channel,
                "recipient": mask_address(p.channel, p.recipient),
                "purpose": p.purpose,
                "not_before": p.not_before.astimezone(svc.settings.tz),
                "case_id": p.case_id,
                "body": p.body,
            }
            for p in planned
        ]

    planned = run(work)
    if as_json:
        print_json(planned)
        return
    if not planned:
        say("sched.cli_preview_empty")
        return
    lang = cli_language()
    columns = ("new", "channel", "recipient", "purpose", "at", "text")
    table = Table(*(t(f"cli.preview.col_{c}", lang) for c in columns))
    for p in planned:
        table.add_row(
            "*" if p["new"] else "",
            channel_label(str(p["channel"]), lang),
            str(p["recipient"]),
            str(p["purpose"]),
            p["not_before"].isoformat(timespec="minutes"),  # type: ignore[attr-defined]
            str(p["body"]).splitlines()[0][:80],
        )
    console.print(table)
