"""The python-telegram-bot Application, and the runner that receives updates by long polling
(default) or by webhook (TELEGRAM_WEBHOOK_URL set; the secret token is checked on every call;
the route is mounted on the one HTTP server of `loket run`, app/web.py), through the inbox of
channels/telegram/receiver.py: stored before confirmed, handled after.

Across workers: every worker runs the Application, the inbox worker and the webhook
(`TelegramWorker`); long polling is a singleton role (`TelegramPoller`, app/runner.py).

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
from telegram.ext import Application

from bot.desk.actions import Desk
from bot.i18n import t
from bot.services import Services
from channels.telegram import handlers
from channels.telegram.http import AiohttpRequest
from channels.telegram.limiter import BotRateLimiter
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
        # aiohttp, not PTB's httpx: a Bot API call's CPU on the shared loop 1.6-2 -> 0.2 ms
        # (channels/telegram/http.py). getUpdates has its own one connection.
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(pool_size=1))
        # Paces sends to 30/s overall and 20/min per group (edits: the group's only,
        # channels/telegram/limiter.py); a 429 is raised, not retried here, so outbox rows
        # go back to the dispatcher with Telegram's retry_after.
        .rate_limiter(BotRateLimiter(max_retries=0))
        .build()
    )
    state = ChannelState(services.db)
    sender = TelegramSender(app.bot, services, state)
    app.bot_data[BOT_DATA_KEY] = Loket(services, state, Desk(services), sender)
    handlers.register(app)
    return app


class TelegramWorker:
    """What every `loket run` worker does for Telegram: the Application (handlers, the bot the
    sender uses), the inbox worker (lanes claimed in the store, so workers share it) and the
    webhook route, which stores an update on whichever worker the proxy hands it to."""

    def __init__(
        self, app: Application, services: Services, *, poll_timeout: int = POLL_TIMEOUT
    ) -> None:  # type: ignore[type-arg]
        self.app, self.services, self.poll_timeout = app, services, poll_timeout
        self.receiver: TelegramReceiver | None = None

    async def start(self) -> None:
        """Connect (getMe), publish the command lists, start working off the inbox (stored
        updates left by an earlier process come first) and, with TELEGRAM_WEBHOOK_URL,
        register the webhook (every worker does; the registration is the same)."""
        loket: Loket = self.app.bot_data[BOT_DATA_KEY]
        now = self.services.clock.now()
        await loket.state.forget_drafts(now - FORGET_DRAFTS)
        self.receiver = TelegramReceiver(
            self.app, self.services, loket.state, loket.sender, poll_timeout=self.poll_timeout
        )
        await self.app.initialize()
        await self._publish_commands()
        await self.app.start()
        self.receiver.start_worker()
        if self.services.settings.telegram_webhook_url:
            await self._start_webhook()
        log.info("telegram channel started (inbox worker%s)",
                 ", webhook" if self.services.settings.telegram_webhook_url else "")  # fmt: skip

    async def stop(self) -> None:
        """Stop receiving, finish the updates in hand, close connections."""
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

    async def _start_webhook(self) -> None:
        settings = self.services.settings
        secret = settings.telegram_webhook_secret.get_secret_value()
        await self.app.bot.set_webhook(
            settings.telegram_webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )


class TelegramPoller:
    """The getUpdates loop: a singleton role (two loops would fight over the offset), run
    only when no webhook is set, on a worker whose TelegramWorker is started."""

    def __init__(self, worker: TelegramWorker) -> None:
        self.worker = worker

    async def start(self) -> None:
        """Start long polling through the worker's receiver (it stores, the inbox handles)."""
        assert self.worker.receiver is not None, "the Telegram worker is not started"
        await self.worker.receiver.start_polling()
        log.info("telegram polling started")

    async def stop(self) -> None:
        """Stop polling; what was fetched is stored already (or fetched again)."""
        if self.worker.receiver is not None:
            await self.worker.receiver.stop_polling()


class TelegramRunner:
    """The channel in one process (the worker part, plus polling when no webhook is set);
    `loket run` runs `on_every_worker()` on each worker and `roles()` where their leases are."""

    def __init__(
        self, app: Application, services: Services, *, poll_timeout: int = POLL_TIMEOUT
    ) -> None:  # type: ignore[type-arg]
        self.services = services
        self.worker = TelegramWorker(app, services, poll_timeout=poll_timeout)
        self.poller = TelegramPoller(self.worker)

    @property
    def poll_timeout(self) -> int:
        """Seconds a getUpdates long poll waits on the server."""
        return self.worker.poll_timeout

    @poll_timeout.setter
    def poll_timeout(self, seconds: int) -> None:
        self.worker.poll_timeout = seconds

    @property
    def receiver(self) -> TelegramReceiver | None:
        """The running receiver (None before start)."""
        return self.worker.receiver

    @property
    def polls(self) -> bool:
        """True when updates come by getUpdates (no TELEGRAM_WEBHOOK_URL)."""
        return not self.services.settings.telegram_webhook_url

    def on_every_worker(self) -> TelegramWorker:
        """The part every worker runs: the Application, the inbox worker, the webhook."""
        return self.worker

    async def roles(self) -> list[tuple[str, TelegramPoller]]:
        """The singleton role: polling, when no webhook is set."""
        return [("channel:telegram", self.poller)] if self.polls else []

    async def start(self) -> None:
        """Start the worker part, then polling (if no webhook is set)."""
        await self.worker.start()
        if self.polls:
            await self.poller.start()

    async def stop(self) -> None:
        """Stop polling and the worker part."""
        await self.poller.stop()
        await self.worker.stop()

    def routes(self) -> list[web.RouteDef]:
        """The webhook route for the HTTP server (none in polling mode)."""
        url = self.services.settings.telegram_webhook_url
        return [web.post(urlsplit(url).path or "/", self.webhook)] if url else []

    async def webhook(self, request: web.Request) -> web.Response:
        """A webhook call, answered by the receiver once it runs (503 before: Telegram retries)."""
        if self.worker.receiver is None:
            return web.Response(status=503)
        return await self.worker.receiver.webhook(request)
