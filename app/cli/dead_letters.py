"""`loket <channel> dead-letters [--retry #]`: inbox updates a channel gave up on after every
attempt (kept, not lost), listed without their content, and one handed back to be handled
again. Shared by the chat channels' command groups (telegram.py, whatsapp.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.table import Table

from app.cli.common import console, print_json, run, say
from bot.errors import NotFoundError

if TYPE_CHECKING:
    from bot.services import Services
    from store.models import InboundUpdate

Describe = Callable[["InboundUpdate"], dict[str, Any]]


async def dead_letter_rows(svc: Services, channel: str, describe: Describe) -> list[dict[str, Any]]:
    """Every dead letter of `channel`, oldest first: `describe` (never the content) plus the
    attempts, when it arrived and the last error."""
    from bot.intake.inbox import Inbox

    rows = await Inbox(svc.db).dead_letters(channel)
    return [
        {
            "id": row.id,
            **describe(row),
            "attempts": row.attempts,
            "received_at": row.received_at.astimezone(svc.settings.tz),
            "last_error": row.last_error,
        }
        for row in rows
    ]


def dead_letters_command(
    channel: str, retry: int | None, as_json: bool, describe: Describe, texts: str
) -> None:
    """List `channel`'s dead letters (the columns `describe` gives), or retry one; the
    sentences are `<texts>.none/.hint/.retried/.not_found` of the catalogue."""
    from bot.intake.inbox import Inbox

    if retry is not None:

        async def again(svc: Services) -> None:
            if not await Inbox(svc.db).retry(channel, retry):
                raise NotFoundError(f"{texts}.not_found", id=retry)

        run(again)
        say(f"{texts}.retried", id=retry)
        return

    async def listed(svc: Services) -> list[dict[str, Any]]:
        return await dead_letter_rows(svc, channel, describe)

    rows = run(listed)
    if as_json:
        print_json(rows)
        return
    if not rows:
        say(f"{texts}.none")
        return
    columns = [k for k in rows[0] if k not in ("id", "attempts", "received_at", "last_error")]
    table = Table("#", *columns, "tries", "received")
    for r in rows:
        received = r["received_at"].isoformat(timespec="minutes")
        table.add_row(str(r["id"]), *(str(r[c]) for c in columns), str(r["attempts"]), received)
    console.print(table)
    for r in rows:
        console.print(f"#{r['id']}: {r['last_error']}", markup=False, highlight=False)
    say(f"{texts}.hint")
