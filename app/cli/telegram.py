"""`loket telegram check`: is the bot token valid and the Bot API reachable (getMe)?
`loket telegram dead-letters`: updates the bot gave up on after every attempt; retry one."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from rich.table import Table
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from app.cli.common import console, fail, print_json, run, say, settings_or_exit
from app.settings import Settings
from bot.errors import DomainError, LoketError, NotFoundError
from bot.intake.inbox import Inbox
from bot.notify.delivery_failures import mask_address
from bot.services import Services

telegram_app = typer.Typer(help="Telegram channel: check the bot token, see dead letters.")
TELEGRAM = "telegram"


async def bot_identity(settings: Settings) -> dict[str, Any]:
    """Ask the Bot API who the configured token belongs to (getMe).

    Raises DomainError naming the problem: no token, a token Telegram rejects, or an API that
    cannot be reached.
    """
    token = settings.telegram_bot_token.get_secret_value()
    if not token:
        raise DomainError("tg.cli.no_token")
    bot = Bot(
        token,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_file_base_url,
    )
    try:
        async with bot:
            me = bot.bot
    except InvalidToken:
        raise DomainError("tg.cli.bad_token") from None
    except NetworkError as exc:
        raise DomainError(
            "tg.cli.unreachable", url=settings.telegram_api_base_url, problem=exc.message
        ) from None
    except TelegramError as exc:
        raise DomainError("tg.cli.refused", problem=exc.message) from None
    mode = "webhook" if settings.telegram_webhook_url else "polling"
    return {"id": me.id, "username": me.username, "name": me.first_name, "mode": mode}


@telegram_app.command("check")
def telegram_check(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Validate TELEGRAM_BOT_TOKEN with getMe and say how updates will be received."""
    settings = settings_or_exit()
    try:
        info = asyncio.run(bot_identity(settings))
    except LoketError as exc:
        raise fail(exc.message(settings.language)) from None
    if as_json:
        print_json(info)
    else:
        say("tg.cli.ok", **info)


def _kind(payload: dict[str, Any] | None) -> str:
    """What the update was (message, callback_query, ...), never its content."""
    return next((k for k in (payload or {}) if k != "update_id"), "-")


async def dead_letter_rows(svc: Services) -> list[dict[str, Any]]:
    """Every Telegram dead letter, oldest first, with the chat masked and no message content."""
    rows = await Inbox(svc.db).dead_letters(TELEGRAM)
    return [
        {
            "id": row.id,
            "update_id": int(row.external_id),
            "chat": mask_address(TELEGRAM, row.lane.partition(":")[2]),
            "kind": _kind(row.payload),
            "attempts": row.attempts,
            "received_at": row.received_at.astimezone(svc.settings.tz),
            "last_error": row.last_error,
        }
        for row in rows
    ]


@telegram_app.command("dead-letters")
def telegram_dead_letters(
    retry: Annotated[
        int | None, typer.Option("--retry", help="Handle this dead letter (#) again")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Updates that failed every attempt (kept, not lost); `--retry #` hands one back to the
    running bot, with a fresh count of attempts."""
    if retry is not None:

        async def again(svc: Services) -> None:
            if not await Inbox(svc.db).retry(TELEGRAM, retry):
                raise NotFoundError("tginbox.cli.not_found", id=retry)

        run(again)
        say("tginbox.cli.retried", id=retry)
        return
    rows = run(dead_letter_rows)
    if as_json:
        print_json(rows)
        return
    if not rows:
        say("tginbox.cli.none")
        return
    table = Table("#", "update", "chat", "kind", "tries", "received")
    for r in rows:
        received = r["received_at"].isoformat(timespec="minutes")
        table.add_row(str(r["id"]), str(r["update_id"]), r["chat"], r["kind"],
                      str(r["attempts"]), received)  # fmt: skip
    console.print(table)
    for r in rows:
        console.print(f"#{r['id']}: {r['last_error']}", markup=False, highlight=False)
    say("tginbox.cli.hint")
