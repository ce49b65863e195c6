"""The contract between the outbox dispatcher and the channels that deliver its rows.

A channel plugs into outbound with two parts: a Renderer, which turns a stored row (the
channel-neutral message of bot/notify/message.py) into that channel's transport form, and a
Sender, which renders a row and transmits it. The dispatcher (scheduler/dispatch.py) is the
only code that claims rows and marks them sent or failed; it hands itself to each sender that
asks (`bind_dispatch`), so a channel can have a just-queued row sent now, or soon without
waiting for it (`DispatchNow`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Protocol, TypeVar

from store.models import OutboxMessage


class TemporaryFailure(Exception):
    """Delivery failed for now (network, 429, a mail server's 4xx): retry later, after
    `retry_after` s."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


class PermanentFailure(Exception):
    """Delivery can never succeed (the bot is blocked, a mail server's 5xx): mark the contact
    failing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Rendering = TypeVar("Rendering", covariant=True)


class Renderer(Protocol[Rendering]):
    """Turns outbox rows of one channel into what that channel transmits (a mail, a list of
    chat messages, a WhatsApp free-form or template message)."""

    channel: str

    async def render(self, message: OutboxMessage) -> Rendering:
        """The transport form of `message`, read with bot.notify.message.read_message (and the
        channel's own older payload shape for rows queued before it). PermanentFailure if it
        can never be rendered (e.g. an attachment no longer stored)."""
        ...


class DispatchNow(Protocol):
    """The dispatcher's path for a row a channel must send at once (the proof of request)."""

    async def dispatch_now(self, *, case_id: int, purpose: str) -> bool:
        """Claim, send and mark the due rows of `case_id` with `purpose` now, as a drain would;
        True if every one was sent. Rows held back (quiet hours) stay for the next drain."""
        ...

    def dispatch_soon(
        self, channel: str, recipient: str, purposes: Sequence[str] = ()
    ) -> Awaitable[object]:
        """Deliver the due rows of one recipient (of `purposes`, if given) in the background,
        in order, starting now; returns the delivery at once, to await or not (a chat
        channel's queued answer to the message just handled)."""
        ...


class Sender(Protocol):
    """Delivers outbox rows of one channel (renders each with its Renderer, then transmits it).
    Registered with the dispatcher at start-up. A sender may also define
    `bind_dispatch(dispatch: DispatchNow) -> None`; the dispatcher calls it when it is built,
    and `sends_at_once: int`, how many of its rows may be in flight at once (unbounded if
    absent), each from its send until it is marked sent.
    """

    channel: str

    async def send(self, message: OutboxMessage) -> str | None:
        """Deliver `message`; return the channel's id for it (Message-ID, message_id) if any.

        Raises TemporaryFailure or PermanentFailure; any other exception counts as temporary.
        """
        ...
