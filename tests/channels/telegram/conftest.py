"""The Telegram channel running for real (python-telegram-bot over HTTP) against the Bot API
emulator, and people who talk to it: citizens in private chats, officers in group chats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio

from app.web import WebServer
from bot.ports import ChannelParts
from bot.services import Services
from channels.telegram import build
from sandbox.telegram_api.server import BotApiEmulator
from scheduler.dispatch import Dispatcher, DrainSummary
from scheduler.ratelimit import RateLimiter
from store.blobs import BlobStore
from tests.support.telegram import telegram_api, telegram_settings  # noqa: F401

DESK_CHAT = -1009
UNIT_CHAT = -1001


@dataclass
class Person:
    """Someone typing and tapping in one chat; counts what they do, reads what the bot says."""

    api: BotApiEmulator
    chat_id: int
    user_id: int
    first_name: str = "Siti"
    language_code: str = "id"
    actions: int = 0
    last: dict[str, Any] | None = field(default=None, repr=False)
    _answers_before: int = field(default=0, repr=False)

    def _who(self) -> dict[str, Any]:
        who: dict[str, Any] = {
            "user_id": self.user_id,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.chat_id != self.user_id:
            who["chat_id"] = self.chat_id
        return who

    async def reply(self, within: float = 5.0) -> dict[str, Any]:
        """The bot's next message in this chat."""
        self.last = await self.api.next_message(self.chat_id, within)
        return self.last

    async def send(self, text: str, *, reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
        """Type a message; return the bot's answer."""
        await self.say(text, reply_to=reply_to)
        return await self.reply()

    async def say(self, text: str, *, reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
        """Type a message without waiting for an answer; return the update."""
        self.actions += 1
        return await self.api.push_text(text, reply_to=reply_to, **self._who())

    async def tap(self, label: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        """Tap a button of `message` (default: the last bot message); return the next answer."""
        await self.press(label, message)
        return await self.reply()

    async def press(self, label: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        """Tap a button without waiting for a new message; return the update."""
        target = message or self.last
        assert target is not None, "no message to tap on"
        self.actions += 1
        self._answers_before = len(self.api.callback_answers)
        return await self.api.tap(
            target,
            label,
            user_id=self.user_id,
            first_name=self.first_name,
            language_code=self.language_code,
        )

    async def send_file(self, data: bytes, **kw: Any) -> dict[str, Any]:
        """Send a document; return the bot's answer."""
        self.actions += 1
        await self.api.push_document(data, **kw, **self._who())
        return await self.reply()

    async def send_photo(self, data: bytes, **kw: Any) -> dict[str, Any]:
        """Send a photo; return the bot's answer."""
        self.actions += 1
        await self.api.push_photo(data, **kw, **self._who())
        return await self.reply()

    async def send_location(self, lat: float, lon: float) -> dict[str, Any]:
        """Share a location; return the bot's answer."""
        self.actions += 1
        await self.api.push_location(lat, lon, **self._who())
        return await self.reply()

    async def alert(self, within: float = 5.0) -> str:
        """The text the bot showed for this person's latest button tap."""

        def answers() -> list[str]:
            return [
                a["text"]
                for a in self.api.callback_answers[self._answers_before :]
                if a.get("text")
            ]

        await self.api.wait_until(lambda: bool(answers()), within)
        return answers()[0]


class TelegramHarness:
    """The channel as `loket run` starts it, plus an outbox dispatcher to drain on demand."""

    def __init__(self, api: BotApiEmulator, services: Services) -> None:
        self.api, self.services = api, services
        self.parts: ChannelParts | None = None
        self.server: WebServer | None = None
        self.extra_senders: dict[str, Any] = {}
        self.dispatcher: Dispatcher | None = None

    async def start(self) -> None:
        """Build and start the channel (getMe, commands, long polling)."""
        self.parts = build(self.services)
        assert self.parts is not None
        self.parts.runner.poll_timeout = 1  # type: ignore[attr-defined]
        self._dispatcher()  # as `loket run`: the sender's "dispatch now" goes through it
        await self.parts.runner.start()
        if self.parts.routes:  # webhook mode: the one HTTP server of `loket run` serves it
            self.server = WebServer(
                self.services.settings, self.services.db, self.parts.routes, ["telegram"]
            )
            await self.server.start()

    async def stop(self) -> None:
        """Stop the channel (once the answers queued by its handlers went out)."""
        await self.settle()
        if self.server is not None:
            await self.server.stop()
            self.server = None
        if self.parts is not None:
            await self.parts.runner.stop()
            self.parts = None

    async def restart(self) -> None:
        """A new process: a fresh Application on the same store."""
        await self.stop()
        await self.start()

    async def dispatch(self) -> DrainSummary:
        """Deliver every due outbox row now through the channel's sender (and any extra), and
        what that drain left to the chats' own background deliveries."""
        summary = await self._dispatcher().drain_once()
        await self.settle()
        return summary

    async def settle(self) -> None:
        """Wait until the answers the handlers queued went out (the background deliveries)."""
        if self.dispatcher is not None:
            await self.dispatcher.settle()

    def _dispatcher(self) -> Dispatcher:
        """The process's one dispatcher, as `loket run` has: over the channel's sender (and any
        extra added since), bound to them."""
        assert self.parts is not None and self.parts.sender is not None
        senders = {"telegram": self.parts.sender, **self.extra_senders}
        if (
            self.dispatcher is None
            or self.dispatcher.senders.get("telegram") is not senders["telegram"]
        ):
            self.dispatcher = Dispatcher(
                self.services.db,
                senders,
                self.services.clock,
                settings=self.services.settings,
                limiter=RateLimiter({}),
            )
        for channel, sender in senders.items():
            if self.dispatcher.senders.get(channel) is not sender:
                self.dispatcher.senders[channel] = sender
                bind = getattr(sender, "bind_dispatch", None)
                if bind is not None:
                    bind(self.dispatcher)
        return self.dispatcher

    def citizen(self, user_id: int = 42, **kw: Any) -> Person:
        """A citizen in their private chat with the bot."""
        return Person(self.api, user_id, user_id, **kw)

    def officer(self, user_id: int, chat_id: int | None = None, **kw: Any) -> Person:
        """An officer, in a group chat (or their private chat when `chat_id` is None)."""
        return Person(self.api, chat_id or user_id, user_id, first_name=f"Petugas{user_id}", **kw)


@pytest_asyncio.fixture
async def tg_services(services: Services, telegram_api: BotApiEmulator) -> Services:  # noqa: F811
    """Services whose settings point the bot at the emulator, with a desk chat."""
    settings = telegram_settings(services.settings, telegram_api, telegram_desk_chat_id=DESK_CHAT)
    return Services(
        settings=settings,
        db=services.db,
        clock=services.clock,
        blobs=BlobStore(settings.attachment_dir, settings.attachment_max_bytes),
    )


@pytest_asyncio.fixture
async def tg(
    tg_services: Services,
    telegram_api: BotApiEmulator,  # noqa: F811
) -> AsyncIterator[TelegramHarness]:
    """The running channel; stopped after the test."""
    harness = TelegramHarness(telegram_api, tg_services)
    await harness.start()
    yield harness
    await harness.stop()
