"""`loket telegram check`: is the bot token valid and the Bot API reachable (getMe)?
`loket telegram dead-letters`: updates the bot gave up on after every attempt; retry one."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli.common import fail, print_json, say, settings_or_exit
from app.cli.dead_letters import dead_letters_command
from bot.errors import DomainError, LoketError

if TYPE_CHECKING:
    from app.settings import Settings
    from store.models import InboundUpdate

telegram_app = typer.Typer(help="Telegram channel: check the bot token, see dead letters.")
TELEGRAM = "telegram"


async def bot_identity(settings: Settings) -> dict[str, Any]:
    """Ask the Bot API who the configured token belongs to (getMe).

    Raises DomainError naming the problem: no token, a token Telegram rejects, or an API that
    cannot be reached.
    """
    # python-telegram-bot only for this command: the others, and `loket --help`, skip it.
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError, TelegramError

    from channels.telegram.http import AiohttpRequest  # the client `loket run` uses

    token = settings.telegram_bot_token.get_secret_value()
    if not token:
        raise DomainError("tg.cli.no_token")
    bot = Bot(
        token,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_file_base_url,
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(pool_size=1),
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


def describe(row: InboundUpdate) -> dict[str, Any]:
    """A Telegram dead letter's update id, masked chat and kind (never its content)."""
    from bot.notify.delivery_failures import mask_address

    return {
        "update_id": int(row.external_id),
        "chat": mask_address(TELEGRAM, row.lane.partition(":")[2]),
        "kind": _kind(row.payload),
    }


@telegram_app.command("dead-letters")
def telegram_dead_letters(
    retry: Annotated[
        int | None, typer.Option("--retry", help="Handle this dead letter (#) again")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Updates that failed every attempt (kept, not lost); `--retry #` hands one back to the
    running bot, with a fresh count of attempts."""
    dead_letters_command(TELEGRAM, retry, as_json, describe, "tginbox.cli")
