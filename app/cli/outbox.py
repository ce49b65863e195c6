"""`loket outbox ...`: see what waits to be sent or failed, retry a row, send everything now."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from app.cli.common import cli_language, console, print_json, run, say
from bot.errors import DomainError, NotFoundError
from bot.i18n import t
from bot.labels import channel_label, outbox_status_label
from store.enums import OutboxStatus

if TYPE_CHECKING:
    from bot.services import Services

# The store and the core are imported by the commands when they run (not by `loket --help`).

outbox_app = typer.Typer(help="Outbound messages: pending, failed, retry, flush.")


async def _rows(svc: Services, failed_only: bool, limit: int) -> list[dict[str, Any]]:
    from sqlmodel import col, select

    from bot.notify.delivery_failures import mask_address
    from store.models import Case, OutboxMessage

    statuses = (
        [OutboxStatus.FAILED.value]
        if failed_only
        else [OutboxStatus.PENDING.value, OutboxStatus.SENDING.value, OutboxStatus.FAILED.value]
    )
    async with svc.db.session() as session:
        stmt = (
            select(OutboxMessage, Case.reference)
            .join(Case, col(Case.id) == col(OutboxMessage.case_id), isouter=True)
            .where(col(OutboxMessage.status).in_(statuses))
            .order_by(col(OutboxMessage.not_before), col(OutboxMessage.id))
            .limit(limit)
        )
        return [
            {
                "id": row.id,
                "status": row.status,
                "channel": row.channel,
                "recipient": mask_address(row.channel, row.recipient),
                "purpose": row.purpose,
                "case": reference,
                "attempts": row.attempts,
                "not_before": row.not_before.astimezone(svc.settings.tz),
                "last_error": row.last_error,
            }
            for row, reference in (await session.exec(stmt)).all()
        ]


@outbox_app.command("list")
def outbox_list(
    failed: Annotated[bool, typer.Option("--failed", help="Only messages that failed")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    limit: Annotated[int, typer.Option(help="Show at most this many", min=1)] = 200,
) -> None:
    """Messages not sent yet (pending, being sent, failed), the next due first."""
    rows = run(lambda svc: _rows(svc, failed, limit))
    if as_json:
        print_json(rows)
        return
    if not rows:
        say("sched.cli_outbox_empty")
        return
    lang = cli_language()
    columns = ("id", "status", "channel", "recipient", "purpose", "case", "tries", "not_before")
    table = Table(*(t(f"cli.outbox.col_{c}", lang) for c in columns))
    for r in rows:
        table.add_row(
            str(r["id"]),
            outbox_status_label(r["status"], lang),
            channel_label(r["channel"], lang),
            r["recipient"],
            r["purpose"],
            r["case"] or "-",
            str(r["attempts"]),
            r["not_before"].isoformat(timespec="minutes"),
        )
    console.print(table)
    for r in rows:
        if r["last_error"]:
            console.print(f"#{r['id']}: {r['last_error']}", markup=False, highlight=False)


@outbox_app.command("retry")
def outbox_retry(
    row_id: Annotated[int, typer.Argument(help="Outbox row id (loket outbox list)")],
) -> None:
    """Send a failed or waiting message again at once, with a fresh count of attempts."""
    from store.models import OutboxMessage

    async def work(svc: Services) -> None:
        async with svc.db.transaction() as session:
            row = await session.get(OutboxMessage, row_id)
            if row is None:
                raise NotFoundError("sched.cli_outbox_not_found", id=row_id)
            if row.status == OutboxStatus.SENT:
                raise DomainError("sched.cli_outbox_already_sent", id=row_id)
            row.status, row.attempts = OutboxStatus.PENDING.value, 0
            row.not_before = svc.clock.now()
            session.add(row)

    run(work)
    say("sched.cli_outbox_retried", id=row_id)


@outbox_app.command("flush")
def outbox_flush() -> None:
    """Send every message that is due now through the configured channels, then exit."""
    from sqlmodel import col, select

    from app.runner import channel_factories
    from scheduler.dispatch import Dispatcher
    from store.models import OutboxMessage

    async def work(svc: Services) -> dict[str, int]:
        parts = [p for p in (f(svc) for f in channel_factories()) if p is not None]
        senders = {p.sender.channel: p.sender for p in parts if p.sender is not None}
        dispatcher = Dispatcher(svc.db, senders, svc.clock, settings=svc.settings)
        summary = await dispatcher.drain_once()
        async with svc.db.session() as session:
            left = len(
                (
                    await session.exec(
                        select(OutboxMessage.id).where(
                            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
                            col(OutboxMessage.not_before) <= svc.clock.now(),
                        )
                    )
                ).all()
            )
        return {**dataclasses.asdict(summary), "still_due": left}

    result = run(work)
    say("sched.cli_outbox_flushed", **result)
