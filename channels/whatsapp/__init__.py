"""The WhatsApp channel (WhatsApp Business Cloud API): webhook intake through the inbox, and
the outbox sender that minds the 24-hour window.

`build(services)` is the channel's one entry for the composition root (app/runner.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.settings import SettingsError
from channels.whatsapp.settings import WhatsAppSettings

if TYPE_CHECKING:
    from bot.ports import ChannelParts
    from bot.services import Services
    from channels.whatsapp.graph import GraphClient
    from channels.whatsapp.receiver import WhatsAppReceiver

log = logging.getLogger(__name__)

SETTINGS = WhatsAppSettings
# The Cloud API is spoken with aiohttp, whose loggers already carry no payload (bot/privacy).
LIBRARY_LOGGERS: tuple[str, ...] = ()

REQUIRED = ("whatsapp_phone_number_id", "whatsapp_app_secret", "whatsapp_verify_token")


class WhatsAppRunner:
    """Starts and stops the inbox worker (the webhook itself is on the one HTTP server)."""

    def __init__(self, receiver: WhatsAppReceiver, graph: GraphClient) -> None:
        self.receiver, self.graph = receiver, graph

    async def start(self) -> None:
        """Work off the inbox: items stored by an earlier process are handled first."""
        self.receiver.start()
        log.info("whatsapp channel started")

    async def stop(self) -> None:
        """Finish the item in hand, close the connections."""
        await self.receiver.stop()
        await self.graph.close()

    def on_every_worker(self) -> WhatsAppRunner:
        """All of it runs on every `loket run` worker: the inbox's lanes are claimed."""
        return self


def build(services: Services) -> ChannelParts | None:
    """The channel's parts, or None when WHATSAPP_TOKEN is empty.

    Without the app secret every webhook would be refused (or, worse, accepted unchecked);
    without the verify token Meta cannot register the webhook: both are required.
    """
    # Imported here: reading the settings (every `loket` command) loads no HTTP stack.
    from bot.ports import ChannelParts
    from channels.whatsapp.graph import GraphClient
    from channels.whatsapp.receiver import WhatsAppReceiver
    from channels.whatsapp.sender import WhatsAppSender

    settings = services.settings
    if not settings.whatsapp_token.get_secret_value():
        return None
    for key in REQUIRED:
        value = getattr(settings, key)
        if not (value.get_secret_value() if hasattr(value, "get_secret_value") else value):
            raise SettingsError(f"{key.upper()}: required when WHATSAPP_TOKEN is set")
    if settings.http_port is None:
        raise SettingsError("HTTP_PORT: required by WhatsApp (its webhook)")
    graph = GraphClient(settings)
    sender = WhatsAppSender(services, graph)
    receiver = WhatsAppReceiver(services, graph, sender)
    return ChannelParts(WhatsAppRunner(receiver, graph), sender, routes=receiver.routes())
