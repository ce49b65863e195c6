"""The python-telegram-bot Application, and the runner that receives updates by long polling
(default) or by webhook (TELEGRAM_WEBHOOK_URL set; the secret token is checked on every call;
the route is mounted on the one HTTP server of `loket run`, app/web.py), through the inbox of
channels/telegram/receiver.py: stored before confirmed, handled after.

Never `run_polling()`: it owns the event loop and signals, and Loket runs the channels, the
dispatcher and the scheduler side by side in one loop (app/runner.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.ext import AIORateLimiter, Application

from bot.desk.actions import Desk
from bot.i18n import t
from bot.services import Services
from channels.telegram import handlers
from channels.telegram.receiver import InboxApplication, TelegramReceiver
from channels.telegram.sender import TelegramSender
from channels.telegram.state import ChannelState
from channels.telegram.turn import BOT_DATA_KEY, Loket

log = logging.getLogger(__name__)

POLL_TIMEOUT = 25  # seconds a getUpdates long poll waits on the server
# An abandoned conversation is deleted after this long: its answers may hold a NIK or an
# address (UU 27/2022: keep personal data no longer than needed).
FORGET_DRAFTS = dt.timedelta(days=30)


def build_application(services: Services) -> Application:  # type: ignore[type-arg]
    """The Application with every handler, the flood limiter and Loket's parts in bot_data."""
    settings = services.settings
    app = (
        Application.builder()
        .application_class(InboxApplication)
        .updater(None)  # updates come through TelegramReceiver, never PTB's Updater
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        # Paces sends to 30/s overall and 20/min per group; a 429 is raised, not retried
        # here, so outbox rows go back to the dispatcher with Telegram's retry_after.
        .rate_limiter(AIORateLimiter(max_retries=0))
        .build()
    )
    state = ChannelState(services.db)
    sender = TelegramSender(app.bot, services, state)
    app.bot_data[BOT_DATA_KEY] = Loket(services, state, Desk(services), sender)
    handlers.register(app)
    return app


class TelegramRunner:
    """Starts and stops the Application: polling by default, a webhook server if configured."""

    def __init__(
        self, app: Application, services: Services, *, poll_timeout: int = POLL_TIMEOUT
    ) -> None:  # type: ignore[type-arg]
        self.app, self.services, self.poll_timeout = app, services, poll_timeout
        self.receiver: TelegramReceiver | None = None

    async def start(self) -> None:
        """Connect (getMe), publish the command lists, then start receiving updates: stored
        updates left by an earlier process are handled first."""
        loket: Loket = self.app.bot_data[BOT_DATA_KEY]
        now = self.services.clock.now()
        await loket.state.forget_drafts(now - FORGET_DRAFTS)
        self.receiver = TelegramReceiver(
            self.app, self.services, loket.state, poll_timeout=self.poll_timeout
        )
        await self.app.initialize()
        await self._publish_commands()
        await self.app.start()
        self.receiver.start_worker()
        settings = self.services.settings
        if settings.telegram_webhook_url:
            await self._start_webhook()
        else:
            await self.receiver.start_polling()
        log.info(
            "telegram channel started (%s)",
            "webhook" if settings.telegram_webhook_url else "polling",
        )

    async def stop(self) -> None:
        """Stop receiving, finish the update in hand, close connections."""
        if self.receiver is not None:
            await self.receiver.stop()
            self.receiver = None
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def _publish_commands(self) -> None:
        lang = self.services.settings.language
        for names, scope in (
            (handlers.CITIZEN_COMMANDS, BotCommandScopeAllPrivateChats()),
            (handlers.OFFICER_COMMANDS, BotCommandScopeAllGroupChats()),
        ):
            commands = [BotCommand(n, t(f"tg.cmd.{n}", lang)) for n in names]
            await self.app.bot.set_my_commands(commands, scope=scope)

    def routes(self) -> list[web.RouteDef]:
        """The webhook route for the HTTP server (none in polling mode)."""
        url = self.services.settings.telegram_webhook_url
        return [web.post(urlsplit(url).path or "/", self.webhook)] if url else []

    async def webhook(self, request: web.Request) -> web.Response:
        """A webhook call, answered by the receiver once it runs (503 before: Telegram retries)."""
        if self.receiver is None:
            return web.Response(status=503)
        return await self.receiver.webhook(request)

    async def _start_webhook(self) -> None:
        settings = self.services.settings
        secret = settings.telegram_webhook_secret.get_secret_value()
        await self.app.bot.set_webhook(
            settings.telegram_webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
