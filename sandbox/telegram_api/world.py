"""What the Bot API emulator knows: chats, messages, files, queued updates, recorded calls.

Both halves of the emulator work on one World: the Bot API (emulator_api) that the bot calls,
and the test API (emulator) through which tests act as users. Every change notifies one
condition, so tests can wait for anything they can express as a predicate.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.telegram_api.limits import FloodControl


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded in a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Call:
    """One API call the bot made: method, decoded parameters, emulator clock time."""

    method: str
    params: dict[str, Any]
    at: float


@dataclass
class Failure:
    """A primed failure for the next matching call (see BotApiEmulator.fail_next)."""

    method: str
    code: int
    description: str
    retry_after: int | None
    chat_id: int | None
    network: bool


@dataclass
class Queued:
    """An update waiting for getUpdates; a re-delivery goes out once whatever the offset."""

    update: dict[str, Any]
    redelivery: bool = False


@dataclass
class StoredFile:
    """A file Telegram holds: its ids, download path, bytes and (claimed) size."""

    file_id: str
    unique_id: str
    path: str
    data: bytes
    size: int


@dataclass
class Webhook:
    """The registered webhook and what each delivery to it answered."""

    url: str
    secret: str | None
    deliveries: list[tuple[int, int]] = field(default_factory=list)


class World:
    """The emulator's state; mutated only from the event loop, changes announced on `cond`."""

    def __init__(
        self, bot_user: dict[str, Any], flood: FloodControl | None, clock: Callable[[], float]
    ) -> None:
        self.bot_user, self.flood, self.clock = bot_user, flood, clock
        self.calls: list[Call] = []
        self.sent: list[dict[str, Any]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.files: dict[str, StoredFile] = {}
        self.failures: list[Failure] = []
        self.blocked: set[int] = set()
        self.webhook: Webhook | None = None
        self.webhook_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.queue: list[Queued] = []
        self.confirmed = 0  # the highest getUpdates offset: every update below it is confirmed
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.cond = asyncio.Condition()
        self.closing = False
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        """A fresh number for file and callback ids."""
        return next(self._ids)

    def next_update_id(self) -> int:
        """The next update id."""
        return next(self._update_ids)

    def chat(self, chat_id: int, **extra: Any) -> dict[str, Any]:
        """The chat object for `chat_id`; private if positive, a supergroup if negative."""
        if chat_id not in self.chats:
            if chat_id < 0:
                title = extra.get("title") or f"Group {chat_id}"
                self.chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": title}
            else:
                name = extra.get("first_name") or f"User{chat_id}"
                self.chats[chat_id] = {"id": chat_id, "type": "private", "first_name": name}
        return self.chats[chat_id]

    def user(self, user_id: int, first_name: str | None, language_code: str | None) -> dict:
        """A (human) user object."""
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or f"User{user_id}",
        }
        if language_code:
            user["language_code"] = language_code
        return user

    def new_message(self, chat_id: int, sender: dict[str, Any], content: dict[str, Any]) -> dict:
        """Store a message in `chat_id` with the chat's next message id; return it."""
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids[chat_id]),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": sender,
            **content,
        }
        self.messages[(chat_id, msg["message_id"])] = msg
        return msg

    def add_file(
        self, data: bytes, *, kind: str, size: int | None = None, ext: str = ""
    ) -> StoredFile:
        """Register bytes as a Telegram file (`size` may claim more than `data` holds)."""
        n = self.next_id()
        item = StoredFile(
            f"{kind}-file-{n}", f"uniq{n}", f"{kind}s/file_{n}{ext}", data, size or len(data)
        )
        self.files[item.file_id] = item
        return item

    async def enqueue(self, item: Queued) -> None:
        """Hand an update to the webhook if one is set, else queue it for getUpdates."""
        if self.webhook is not None:
            await self.webhook_queue.put(item.update)
            return
        async with self.cond:
            self.queue.append(item)
            self.cond.notify_all()

    async def changed(self, change: Callable[[], None]) -> None:
        """Apply `change` and wake everyone waiting on the world."""
        async with self.cond:
            change()
            self.cond.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until `predicate()` holds (checked after every change)."""

        async def wait() -> None:
            async with self.cond:
                await self.cond.wait_for(predicate)

        await asyncio.wait_for(wait(), within)

    def bot_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent (to `chat_id`), oldest first, as they are now (after edits)."""
        return [
            self.messages[(m["chat"]["id"], m["message_id"])]
            for m in self.sent
            if chat_id is None or m["chat"]["id"] == chat_id
        ]
