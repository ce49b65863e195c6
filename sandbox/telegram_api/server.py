"""A Telegram Bot API emulator (aiohttp) on loopback, for the tests and `loket demo`.

It speaks the HTTP API python-telegram-bot uses (emulator_api), keeps chats, messages and files
(emulator_world), long-polls `getUpdates` or pushes to a webhook, enforces Telegram's flood
limits with 429 answers (emulator_limits), records every call, and offers a test API in the
spirit of aiogram's: act as users with `push_text`, `tap` / `push_callback`, `push_document`,
`push_photo`, `push_location`, `push_edit`, `redeliver`; prime a failure with `fail_next`
(429, 403, a dropped connection); read with `next_message`, `wait_sent`, `messages`, `calls_of`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.telegram_api.api import SECRET_HEADER, BotApi
from sandbox.telegram_api.limits import FloodControl, ManualClock, RateLimits
from sandbox.telegram_api.world import Call, Failure, Queued, Upload, Webhook, World

__all__ = ["BotApiEmulator", "Call", "ManualClock", "RateLimits", "Upload", "buttons_of"]


def buttons_of(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The inline keyboard rows of a message (empty when it has none)."""
    markup = message.get("reply_markup") or {}
    return markup.get("inline_keyboard", [])


class BotApiEmulator:
    """The fake Bot API server. `await start()`, point the bot at `base_url`, `await stop()`.

    With `limits`, sends over Telegram's flood limits are answered 429; `clock` (seconds, e.g.
    a ManualClock) is what those limits are measured on.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        limits: RateLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        username: str = "loket_test_bot",
    ) -> None:
        self.token = token
        prefix = token.split(":")[0]
        bot_user = {"id": int(prefix) if prefix.isdigit() else 1000, "is_bot": True,
                    "first_name": "Loket", "username": username}  # fmt: skip
        self.world = World(bot_user, FloodControl(limits, clock) if limits else None, clock)
        self.api = BotApi(self.world, token)
        self._read: dict[int, int] = defaultdict(int)
        self._runner: web.AppRunner | None = None
        self.host, self.port = "127.0.0.1", 0

    # --- server ------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> BotApiEmulator:
        """Listen on `host:port` (a free port by default); returns self."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        self.api.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.host, self.port = host, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    @property
    def base_url(self) -> str:
        """The Bot API base URL to configure (python-telegram-bot appends the token)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """The file download base URL to configure."""
        return f"http://{self.host}:{self.port}/file/bot"

    async def stop(self) -> None:
        """Release parked long polls (else cleanup waits for them), stop webhooks, close."""
        await self.world.changed(lambda: setattr(self.world, "closing", True))
        await self.api.close()
        if self._runner:
            await self._runner.cleanup()

    # --- what the bot did --------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every API call, oldest first."""
        return self.world.calls

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        """Parameters of every answerCallbackQuery."""
        return self.world.callback_answers

    @property
    def commands(self) -> list[dict[str, Any]]:
        """The command list last set with setMyCommands."""
        return self.world.commands

    @property
    def webhook(self) -> Webhook | None:
        """The registered webhook, if any."""
        return self.world.webhook

    @property
    def blocked(self) -> set[int]:
        """Chats whose user blocked the bot: every send there is answered 403."""
        return self.world.blocked

    @property
    def confirmed_below(self) -> int:
        """Updates with a lower id were confirmed by a getUpdates offset (Telegram forgets
        them: a bot that lost one of these lost it for good)."""
        return self.world.confirmed

    @property
    def unconfirmed(self) -> list[dict[str, Any]]:
        """Updates Telegram still holds for getUpdates, oldest first."""
        return [q.update for q in self.world.queue]

    def calls_of(self, method: str) -> list[Call]:
        """Every call of one method, oldest first."""
        return [c for c in self.world.calls if c.method == method]

    def messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent (to `chat_id`), oldest first, as they are now (after edits)."""
        return self.world.bot_messages(chat_id)

    def current(self, message: dict[str, Any]) -> dict[str, Any]:
        """A message as it is now (its text and buttons after any edit)."""
        return self.world.messages[(message["chat"]["id"], message["message_id"])]

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes behind a file id (one the bot uploaded or a user sent)."""
        return self.world.files[file_id].data

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until `predicate()` holds (it is checked after every call and update)."""
        await self.world.wait_until(predicate, within)

    async def wait_sent(
        self, n: int = 1, *, chat_id: int | None = None, within: float = 5.0
    ) -> list[dict[str, Any]]:
        """Wait until the bot has sent at least `n` messages (to `chat_id`); return them all."""
        await self.wait_until(lambda: len(self.messages(chat_id)) >= n, within)
        return self.messages(chat_id)

    async def next_message(self, chat_id: int, within: float = 5.0) -> dict[str, Any]:
        """The next message to `chat_id` that this method has not returned yet."""
        index = self._read[chat_id]
        await self.wait_until(lambda: len(self.messages(chat_id)) > index, within)
        self._read[chat_id] = index + 1
        return self.messages(chat_id)[index]

    def unread(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages to `chat_id` not yet returned by `next_message` (marks them read)."""
        pending = self.messages(chat_id)[self._read[chat_id] :]
        self._read[chat_id] += len(pending)
        return pending

    # --- what users do -----------------------------------------------------------------------

    def chat(self, chat_id: int, **extra: Any) -> dict[str, Any]:
        """The chat object for `chat_id`; private if positive, a supergroup if negative."""
        return self.world.chat(chat_id, **extra)

    async def push_update(self, body: dict[str, Any]) -> dict[str, Any]:
        """Queue (or push to the webhook) a raw update; `update_id` is assigned here."""
        update = {"update_id": self.world.next_update_id(), **body}
        await self.world.enqueue(Queued(update))
        return update

    async def redeliver(self, update: dict[str, Any]) -> None:
        """Deliver `update` again with its original update_id, as Telegram does after a crash."""
        await self.world.enqueue(Queued(update, redelivery=True))

    async def push_message(
        self,
        *,
        user_id: int,
        chat_id: int | None = None,
        first_name: str | None = None,
        language_code: str | None = "id",
        reply_to: dict[str, Any] | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        """Queue an incoming message with arbitrary content fields; returns the update."""
        chat_id = user_id if chat_id is None else chat_id
        self.world.chat(chat_id, first_name=first_name)
        if reply_to is not None:
            key = (reply_to["chat"]["id"], reply_to["message_id"])
            content["reply_to_message"] = self.world.messages.get(key, reply_to)
        sender = self.world.user(user_id, first_name, language_code)
        return await self.push_update({"message": self.world.new_message(chat_id, sender, content)})

    async def push_edit(self, message: dict[str, Any], **content: Any) -> dict[str, Any]:
        """The sender edits their `message` (new text, caption or location); returns the update."""
        edited = {**message, **content, "edit_date": int(time.time())}
        if "text" in content:
            edited.pop("entities", None)
        self.world.messages[(message["chat"]["id"], message["message_id"])] = edited
        return await self.push_update({"edited_message": edited})

    async def push_text(self, text: str, *, user_id: int = 42, **kw: Any) -> dict[str, Any]:
        """A user sends `text` (bot commands get their entity, as Telegram adds it)."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return await self.push_message(user_id=user_id, **content, **kw)

    async def push_document(
        self,
        data: bytes,
        *,
        filename: str = "dokumen.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        size: int | None = None,
        user_id: int = 42,
        **kw: Any,
    ) -> dict[str, Any]:
        """A user sends a file as a document (`size` may claim more bytes than `data` has)."""
        ext = "." + filename.rpartition(".")[2]
        f = self.world.add_file(data, kind="document", size=size, ext=ext)
        doc = {"file_id": f.file_id, "file_unique_id": f.unique_id, "file_name": filename,
               "mime_type": mime_type, "file_size": f.size}  # fmt: skip
        extra = {"caption": caption} if caption else {}
        return await self.push_message(user_id=user_id, document=doc, **extra, **kw)

    async def push_photo(
        self, data: bytes, *, caption: str | None = None, size: int | None = None,
        user_id: int = 42, **kw: Any,
    ) -> dict[str, Any]:  # fmt: skip
        """A user sends a photo (one size, as a phone upload of a small picture)."""
        f = self.world.add_file(data, kind="photo", size=size, ext=".jpg")
        photo = [{"file_id": f.file_id, "file_unique_id": f.unique_id, "width": 800,
                  "height": 600, "file_size": f.size}]  # fmt: skip
        extra = {"caption": caption} if caption else {}
        return await self.push_message(user_id=user_id, photo=photo, **extra, **kw)

    async def push_location(
        self, latitude: float, longitude: float, *, user_id: int = 42, **kw: Any
    ) -> dict[str, Any]:
        """A user shares a location."""
        location = {"latitude": latitude, "longitude": longitude}
        return await self.push_message(user_id=user_id, location=location, **kw)

    async def push_callback(
        self,
        message: dict[str, Any],
        data: str,
        *,
        user_id: int | None = None,
        first_name: str | None = None,
        language_code: str | None = "id",
    ) -> dict[str, Any]:
        """A user taps an inline button with callback `data` under the bot's `message`."""
        chat_id = message["chat"]["id"]
        query = {
            "id": str(self.world.next_id()),
            "from": self.world.user(
                user_id if user_id is not None else chat_id, first_name, language_code
            ),
            "message": self.world.messages.get((chat_id, message["message_id"]), message),
            "chat_instance": str(chat_id),
            "data": data,
        }
        return await self.push_update({"callback_query": query})

    async def tap(self, message: dict[str, Any], label: str, **kw: Any) -> dict[str, Any]:
        """Tap the button of `message` whose label contains `label` (or whose data equals it)."""
        key = (message["chat"]["id"], message["message_id"])
        buttons = [b for row in buttons_of(self.world.messages.get(key, message)) for b in row]
        exact = [b for b in buttons if b.get("callback_data") == label]
        matches = exact or [b for b in buttons if label.lower() in b["text"].lower()]
        if not matches:
            labels = [b["text"] for b in buttons]
            raise AssertionError(f"no button {label!r} under message; buttons: {labels}")
        return await self.push_callback(message, matches[0]["callback_data"], **kw)

    def fail_next(
        self,
        method: str = "sendMessage",
        *,
        code: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        chat_id: int | None = None,
        network: bool = False,
    ) -> None:
        """Make the next call of `method` (to `chat_id`, if given) fail once.

        `code=429` answers Too Many Requests with `retry_after` (default 3), `code=403` says the
        bot was blocked, `network=True` drops the connection without an answer.
        """
        if code == 429 and retry_after is None:
            retry_after = 3
        default = {
            429: f"Too Many Requests: retry after {retry_after}",
            403: "Forbidden: bot was blocked by the user",
            400: "Bad Request: chat not found",
        }.get(code, "Error")
        failure = Failure(method, code, description or default, retry_after, chat_id, network)
        self.world.failures.append(failure)

    async def post_webhook(self, update: dict[str, Any], secret: str | None) -> int:
        """POST one update to the registered webhook with `secret`; return the HTTP status."""
        assert self.world.webhook is not None, "no webhook set"
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.world.webhook.url, json=update, headers=headers) as resp,
        ):
            return resp.status
