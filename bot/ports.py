"""What a channel adapter gives the composition root: its long-running receiver and its sender.

Each channel package exposes `build(services) -> ChannelParts | None` (None when its settings
leave it unconfigured); `app/runner.py` runs what they return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web

from bot.notify.delivery import Sender
from bot.services import Services
from bot.settings import SettingsBase


class ChannelRunner(Protocol):
    """The long-running side of a channel (polling, a webhook, a mailbox watcher)."""

    async def start(self) -> None:
        """Begin receiving; return once running."""
        ...

    async def stop(self) -> None:
        """Stop receiving and release connections."""
        ...


@dataclass
class ChannelParts:
    """What a channel contributes to `loket run`: its receiver, its outbox sender and the
    routes it needs on the one HTTP server (app/web.py), e.g. a webhook."""

    runner: ChannelRunner
    sender: Sender | None = None
    routes: Sequence[web.RouteDef] = field(default_factory=tuple)


class ChannelModule(Protocol):
    """A channel package as the composition root sees it (app/channels.py lists them)."""

    SETTINGS: type[SettingsBase]  # the channel's keys, read with the core's as one object
    LIBRARY_LOGGERS: tuple[str, ...]  # its libraries' loggers that log payloads at DEBUG

    def build(self, services: Services) -> ChannelParts | None:
        """The channel's runner and sender, or None when its settings leave it off."""
        ...
