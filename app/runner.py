"""`loket run`: every configured channel, the outbox dispatcher and the scheduler in one process.

Each channel package exposes `build(services) -> ChannelParts | None` (bot/ports.py; None when
its settings leave it unconfigured). Adding a channel is one line in app/channels.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from bot.ports import ChannelParts
from bot.services import Services

log = logging.getLogger(__name__)


ChannelFactory = Callable[[Services], ChannelParts | None]


def channel_factories() -> list[ChannelFactory]:
    """The `build` function of every channel (app/channels.py)."""
    from app.channels import CHANNELS

    return [channel.build for channel in CHANNELS]


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
    dispatcher = Dispatcher(services.db, senders, services.clock, settings=services.settings)
    scheduler = SchedulerService(services, dispatcher)
    started: list[ChannelParts] = []
    try:
        for part in parts:
            await part.runner.start()
            started.append(part)
        await scheduler.start()
        try:
            await stop_event.wait()
        finally:
            await scheduler.stop()
    finally:
        for part in reversed(started):
            try:
                await part.runner.stop()
            except Exception:
                log.exception("channel %r did not stop cleanly", part.runner)
