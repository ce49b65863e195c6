"""A scripted Sender for dispatcher tests: records what it delivers, fails when told to."""

from __future__ import annotations

import asyncio

from store.models import OutboxMessage


class ScriptedSender:
    """Delivers by appending to `sent`; `fail_next(*errors)` makes the next sends raise."""

    def __init__(self, channel: str = "telegram", delay: float = 0.0) -> None:
        self.channel, self.delay = channel, delay
        self.sent: list[OutboxMessage] = []
        self.calls = 0
        self._script: list[Exception] = []

    def fail_next(self, *errors: Exception) -> None:
        """Raise these errors, in order, on the next sends."""
        self._script.extend(errors)

    async def send(self, message: OutboxMessage) -> str | None:
        """Record `message` (or raise the next scripted error); return a fake message id."""
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self._script:
            raise self._script.pop(0)
        self.sent.append(message)
        return f"{self.channel}-{message.id}"
