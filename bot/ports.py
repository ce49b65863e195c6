"""What a channel adapter gives the composition root: its long-running receiver and its sender.

Each channel package exposes `build(services) -> ChannelParts | None` (None when its settings
leave it unconfigured); `app/runner.py` runs what they return.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.notify.delivery import Sender


class ChannelRunner(Protocol):
    """The long-running side of a channel (polling, a webhook server, watching a mailbox)."""

    async def start(self) -> None:
        """Begin receiving; return once running."""
        ...

    async def stop(self) -> None:
        """Stop receiving and release connections."""
        ...


@dataclass
class ChannelParts:
    """What a channel contributes to `loket run`: its receiver and its outbox sender."""

    runner: ChannelRunner
    sender: Sender | None = None
