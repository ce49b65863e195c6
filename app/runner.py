"""`loket run`: every configured channel, the outbox dispatcher and the scheduler in one process.

Each channel package exposes `build(services) -> ChannelParts | None` (bot/ports.py; None when
its settings leave it unconfigured). Adding a channel is one line in app/channels.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Protocol, cast

from app.heap import frozen_startup
from app.web import WebServer, needs_server
from bot.errors import LoketError
from bot.ports import ChannelParts, ChannelRunner
from bot.services import Services
from bot.singletons import RoleSupervisor, SingletonRole
from store.leadership import Leases

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
    channel; a channel that fails to start stops the ones already started. Each channel's
    part for every worker (inbox, webhook) runs here whatever the roles; polling, mailboxes
    and the tick are singleton roles (bot/singletons.py); when this worker loses one, it stops
    and raises LostRole.
    """
    from scheduler.dispatch import Dispatcher
    from scheduler.service import SchedulerService

    factories_used = list(channel_factories() if factories is None else factories)
    built = [factory(services) for factory in factories_used]
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
        server = WebServer(
            services.settings, services.db, routes, list(senders), clock=services.clock
        )
    dispatcher = Dispatcher(services.db, senders, services.clock, settings=services.settings)
    # Every worker sends from the outbox (rows are claimed with SKIP LOCKED), works the
    # inboxes (lanes are claimed) and serves the webhooks; polling, watching mailboxes and
    # ticking are singleton roles, run by the one worker holding each role's lease.
    outbox = SchedulerService(services, dispatcher, tick=False)
    everywhere = every_worker_parts(built)
    supervisor = await singleton_roles(services, factories_used, built)
    started: list[ChannelRunner] = []
    try:
        for part in everywhere:  # first: a role (polling) stores through its worker part
            await part.start()
            started.append(part)
        await supervisor.start()
        try:
            # after the channels: a webhook call finds its channel running
            if server is not None:
                await server.start()
            try:
                await outbox.start()
                try:
                    with frozen_startup():  # no full collection walks start-up's objects
                        await _first_of(stop_event, supervisor.lost)
                finally:
                    await outbox.stop()
            finally:
                if server is not None:
                    await server.stop()
        finally:
            await supervisor.stop()
    finally:
        for part in reversed(started):
            await _stop_quietly(part)
    if supervisor.lost.is_set():
        raise LostRole


async def _stop_quietly(part: ChannelRunner) -> None:
    """Stop one channel part; a failure is logged, so the others still stop."""
    try:
        await part.stop()
    except Exception:
        log.exception("a channel did not stop cleanly")


class LostRole(LoketError):
    """This worker lost a singleton role's lease; it stopped so that it restarts as a standby."""

    def __init__(self) -> None:
        super().__init__("ops.roles.lost")


async def _first_of(*events: asyncio.Event) -> None:
    """Wait until one of `events` is set."""
    waits = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


# --- singleton roles (issue 13) ----------------------------------------------------------------


def _role_name(factory: ChannelFactory, part: ChannelParts, taken: set[str]) -> str:
    """`channel:<name>`: the sender's channel, else the channel package's name; unique."""
    base = part.sender.channel if part.sender is not None else factory.__module__.split(".")[-1]
    name, n = f"channel:{base}", 1
    while name in taken:
        n += 1
        name = f"channel:{base}-{n}"
    taken.add(name)
    return name


class SplitsIntoRoles(Protocol):
    """A channel runner whose work is several singleton roles (email: one per mailbox)."""

    async def roles(self) -> Sequence[tuple[str, ChannelRunner]]:
        """(role name, runner) of each part of the channel's work."""
        ...


class RunsOnEveryWorker(Protocol):
    """A channel runner with a part every worker runs (Telegram and WhatsApp: the inbox
    worker and the webhook); its `roles()`, if any, are its singleton parts."""

    def on_every_worker(self) -> ChannelRunner:
        """The part to start on every worker, before the singleton roles."""
        ...


def every_worker_parts(built: Sequence[ChannelParts | None]) -> list[ChannelRunner]:
    """The parts of the configured channels that every worker runs."""
    return [
        cast(RunsOnEveryWorker, part.runner).on_every_worker()
        for part in built
        if part is not None and hasattr(part.runner, "on_every_worker")
    ]


async def singleton_roles(
    services: Services,
    factories: Sequence[ChannelFactory],
    built: Sequence[ChannelParts | None],
) -> RoleSupervisor:
    """The supervisor of this worker's singleton roles: each configured channel's singleton
    receiving (Telegram polling when no webhook is set; each IMAP mailbox; a channel without
    a split is one role whole) and the scheduler's tick."""
    from scheduler.service import SchedulerService

    taken: set[str] = set()
    roles: list[SingletonRole] = []
    for factory, part in zip(factories, built, strict=True):
        if part is None:
            continue
        split = getattr(part.runner, "roles", None)
        if split is None and hasattr(part.runner, "on_every_worker"):
            continue  # all of it runs on every worker
        if split is None:
            name = _role_name(factory, part, taken)
            roles.append(SingletonRole(name, part.runner.start, part.runner.stop))
            continue
        for name, runner in await cast(SplitsIntoRoles, part.runner).roles():
            roles.append(SingletonRole(name, runner.start, runner.stop))
    ticker = SchedulerService(services, None)
    roles.append(SingletonRole("scheduler", ticker.start, ticker.stop))
    return RoleSupervisor(
        Leases(services.settings.database_url),
        roles,
        retry_seconds=services.settings.role_retry_seconds,
        language=services.settings.language,
    )
