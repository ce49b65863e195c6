"""`loket whatsapp check`: are the token and the phone number id valid, and which webhook URL
must be registered in Meta's app settings?
`loket whatsapp dead-letters`: webhook items the inbox gave up on after every attempt; retry one."""

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

whatsapp_app = typer.Typer(help="WhatsApp channel: check the token and the webhook URL.")
WHATSAPP = "whatsapp"


def webhook_url(settings: Settings) -> str:
    """The callback URL to register: PUBLIC_BASE_URL + WHATSAPP_WEBHOOK_PATH."""
    return settings.public_base_url.rstrip("/") + settings.whatsapp_webhook_path


async def number_identity(settings: Settings) -> dict[str, Any]:
    """Ask the Cloud API for the configured number (checks token and number id); DomainError
    naming the problem otherwise."""
    from channels.whatsapp.graph import GraphClient, GraphError

    if not settings.whatsapp_token.get_secret_value():
        raise DomainError("whatsapp.cli.no_token")
    for key in ("whatsapp_phone_number_id", "whatsapp_app_secret", "whatsapp_verify_token"):
        value = getattr(settings, key)
        if not (value if isinstance(value, str) else value.get_secret_value()):
            raise DomainError("whatsapp.cli.missing", key=key.upper())
    if not settings.public_base_url.startswith("https://"):
        raise DomainError("whatsapp.cli.no_public_url")
    graph = GraphClient(settings)
    try:
        number = await graph.phone_number()
    except GraphError as exc:
        if exc.code == 0:
            raise DomainError(
                "whatsapp.cli.unreachable", url=settings.whatsapp_api_base_url,
                problem=exc.message,
            ) from None  # fmt: skip
        raise DomainError("whatsapp.cli.refused", code=exc.code, problem=exc.message) from None
    finally:
        await graph.close()
    return {
        "number": number.get("display_phone_number", ""),
        "name": number.get("verified_name", ""),
        "webhook_url": webhook_url(settings),
    }


@whatsapp_app.command("check")
def whatsapp_check(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Check WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID and print the webhook URL to register."""
    settings = settings_or_exit()
    try:
        info = asyncio.run(number_identity(settings))
    except LoketError as exc:
        raise fail(exc.message(settings.language), 2) from None
    if as_json:
        print_json(info)
    else:
        say("whatsapp.cli.ok", **info)


def describe(row: InboundUpdate) -> dict[str, Any]:
    """A WhatsApp dead letter's message id, masked number and kind (never its content)."""
    from bot.notify.delivery_failures import mask_address

    payload = row.payload or {}
    sender = row.lane.removeprefix("wa:") if row.lane.startswith("wa:") else ""
    kind = (payload.get("message") or {}).get("type") or ("status" if "status" in payload else "-")
    return {
        "message_id": row.external_id,
        "number": mask_address(WHATSAPP, sender) if sender else "-",
        "kind": kind,
    }


@whatsapp_app.command("dead-letters")
def whatsapp_dead_letters(
    retry: Annotated[
        int | None, typer.Option("--retry", help="Handle this dead letter (#) again")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """WhatsApp messages and status callbacks that failed every attempt (kept, not lost);
    `--retry #` hands one back to the running loket, with a fresh count of attempts."""
    dead_letters_command(WHATSAPP, retry, as_json, describe, "whatsapp.cli")
