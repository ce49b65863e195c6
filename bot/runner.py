"""`loket run`: every configured channel, the outbox dispatcher and the scheduler in one process.

Each channel package exposes `build(services) -> ChannelParts | None` (None when its settings
leave it unconfigured). Adding a channel is one line in `channel_factories`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web

from bot.app import Services
from bot.delivery import Sender
from bot.web import WebServer, needs_server

log = logging.getLogger(__name__)


class ChannelRunner(Protocol):
    """The long-running side of a channel (polling, webhook server, IMAP IDLE)."""

    async def start(self) -> None:
        """Begin receiving; return once running."""
        ...

    async def stop(self) -> None:
        """Stop receiving and release connections."""
        ...


@dataclass
class ChannelParts:
    """What a channel contributes to `loket run`: its receiver, its outbox sender and the
    routes it needs on the one HTTP server (bot/web.py), e.g. a webhook."""

    runner: ChannelRunner
    sender: Sender | None = None
    routes: Sequence[web.RouteDef] = field(default_factory=tuple)


ChannelFactory = Callable[[Services], ChannelParts | None]


def channel_factories() -> list[ChannelFactory]:
    """The `build` function of every channel package (imported here: the composition root)."""
    from channels import email, telegram, whatsapp

    return [email.build, telegram.build, whatsapp.build]


async def serve(
    services: Services,
    stop_event: asyncio.Event,
    factories: Sequence[ChannelFactory] | None = None,
) -> None:
    """Run the configured channels, the dispatcher and the scheduler until `stop_event` is set.

    Channels start first and stop last, so the dispatcher never sends through a stopped
    channel; a channel that fails to start stops the ones already started.
    """
    from scheduler.dispatch import Dispatcher
    from scheduler.service import SchedulerService

    built = [
        factory(services) for factory in (channel_factories() if factories is None else factories)
    ]
    parts = [p for p in built if p is not None]
    senders = {p.sender.channel: p.sender for p in parts if p.sender is not None}
    if senders:
        log.info("channels configured: %s", ", ".join(sorted(senders)))
    else:
        log.warning(
            "no channel configured (TELEGRAM_BOT_TOKEN, IMAP_HOST/SMTP_HOST are empty): "
            "only the scheduler runs, nothing is received or sent"
        )
    routes = [route for p in parts for route in p.routes]
    server = None
    if needs_server(services.settings, routes):
        server = WebServer(services.settings, services.db, routes, list(senders))
    dispatcher = Dispatcher(services.db, senders, services.clock, settings=services.settings)
    scheduler = SchedulerService(services, dispatcher)
    started: list[ChannelParts] = []
    try:
        for part in parts:
            await part.runner.start()
            started.append(part)
        if server is not None:  # after the channels: a webhook call finds its channel running
            await server.start()
        await scheduler.start()
        try:
            await stop_event.wait()
        finally:
            await scheduler.stop()
    finally:
        if server is not None:
            await server.stop()
        for part in reversed(started):
            try:
                await part.runner.stop()
            except Exception:
                log.exception("channel %r did not stop cleanly", part.runner)
