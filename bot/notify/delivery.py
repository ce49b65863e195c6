"""The contract between the outbox dispatcher and the channel senders that deliver its rows."""

from __future__ import annotations

from typing import Protocol

from store.models import OutboxMessage


class TemporaryFailure(Exception):
    """Delivery failed for now (network, 429, SMTP 4xx): retry later, after `retry_after` s."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


class PermanentFailure(Exception):
    """Delivery can never succeed (Telegram 403 bot blocked, SMTP 5xx): mark the contact failing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Sender(Protocol):
    """Delivers outbox rows of one channel. Registered with the dispatcher at start-up."""

    channel: str

    async def send(self, message: OutboxMessage) -> str | None:
        """Deliver `message`; return the channel's id for it (Message-ID, message_id) if any.

        Raises TemporaryFailure or PermanentFailure; any other exception counts as temporary.
        """
        ...
