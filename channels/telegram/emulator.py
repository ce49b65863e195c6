"""A Telegram Bot API emulator (aiohttp) on loopback, for the tests and `loket demo`.

It speaks the HTTP API python-telegram-bot uses (`<base>/bot<TOKEN>/<method>`, form-encoded
or multipart fields, `/file/bot<TOKEN>/<path>` downloads), keeps chats, messages and files,
long-polls `getUpdates` or pushes to a webhook, enforces Telegram's flood limits with 429
answers (see `emulator_limits`), records every call, and offers a small test API:
`push_text`, `push_callback` / `tap`, `push_document`, `push_photo`, `push_location`,
`next_message`, `wait_sent`, `fail_next` (prime a 429, 403 or network failure).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from channels.telegram.emulator_limits import FloodControl, ManualClock, RateLimits

__all__ = ["BotApiEmulator", "Call", "ManualClock", "RateLimits", "Upload"]

# Fields that are strings in the Bot API: never JSON-decode them ("123" stays "123").
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "secret_token",
        "file_id",
        "action",
        "description",
        "short_description",
        "ip_address",
        "language_code",
    }
)
_SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
_TRUE_METHODS = frozenset({"setMyCommands", "sendChatAction", "deleteMyCommands"})
CLOUD_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files on the cloud Bot API


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
class _Failure:
    method: str
    code: int
    description: str
    retry_after: int | None
    chat_id: int | None
    network: bool


@dataclass
class _Queued:
    update: dict[str, Any]
    redelivery: bool = False


@dataclass
class _File:
    file_id: str
    unique_id: str
    path: str
    data: bytes
    size: int


@dataclass
class _Webhook:
    url: str
    secret: str | None
    deliveries: list[tuple[int, int]] = field(default_factory=list)


class BotApiEmulator:
    """The fake Bot API server. `await start()`, point the bot at `base_url`, `await stop()`."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        limits: RateLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        username: str = "loket_test_bot",
    ) -> None:
        self.token = token
        self.bot_user = {
            "id": int(token.split(":")[0]) if token.split(":")[0].isdigit() else 1000,
            "is_bot": True,
            "first_name": "Loket",
            "username": username,
        }
        self.flood = FloodControl(limits, clock) if limits else None
        self.clock = clock
        self.calls: list[Call] = []
        self.sent: list[dict[str, Any]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.files: dict[str, _File] = {}
        self.webhook: _Webhook | None = None
        self._queue: list[_Queued] = []
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._read: dict[int, int] = defaultdict(int)
        self._failures: list[_Failure] = []
        self.blocked: set[int] = set()
        self._cond = asyncio.Condition()
        self._closing = False
        self._webhook_queue: asyncio.Queue[dict[str, Any]] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- server ------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> BotApiEmulator:
        """Listen on `host:port` (a free port by default); returns self."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.host = host
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
        """Release parked long polls, stop webhook delivery, close the server."""
        async with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._webhook_task:
            self._webhook_task.cancel()
        if self._runner:
            await self._runner.cleanup()

    # --- what users do (the test API) ----------------------------------------------------------

    def chat(self, chat_id: int, **extra: Any) -> dict[str, Any]:
        """The chat object for `chat_id`; private if positive, a supergroup if negative."""
        if chat_id not in self._chats:
            if chat_id < 0:
                self._chats[chat_id] = {
                    "id": chat_id,
                    "type": "supergroup",
                    "title": extra.get("title", f"Group {chat_id}"),
                }
            else:
                self._chats[chat_id] = {
                    "id": chat_id,
                    "type": "private",
                    "first_name": extra.get("first_name", f"User{chat_id}"),
                }
        return self._chats[chat_id]

    def _user(self, user_id: int, first_name: str | None, language_code: str | None) -> dict:
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or f"User{user_id}",
        }
        if language_code:
            user["language_code"] = language_code
        return user

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
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids[chat_id]),
            "date": int(time.time()),
            "chat": self.chat(chat_id, first_name=first_name),
            "from": self._user(user_id, first_name, language_code),
            **content,
        }
        if reply_to is not None:
            msg["reply_to_message"] = self._messages.get(
                (reply_to["chat"]["id"], reply_to["message_id"]), reply_to
            )
        self._messages[(chat_id, msg["message_id"])] = msg
        return await self.push_update({"message": msg})

    async def push_text(self, text: str, *, user_id: int = 42, **kw: Any) -> dict[str, Any]:
        """A user sends `text` (bot commands get their entity, as Telegram adds it)."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return await self.push_message(user_id=user_id, **content, **kw)

    def add_file(self, data: bytes, *, kind: str, size: int | None = None, ext: str = "") -> _File:
        """Register bytes as a Telegram file (`size` may claim more than `data` holds)."""
        n = next(self._ids)
        item = _File(
            f"{kind}-file-{n}", f"uniq{n}", f"{kind}s/file_{n}{ext}", data, size or len(data)
        )
        self.files[item.file_id] = item
        return item

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
        """A user sends a file as a document."""
        f = self.add_file(data, kind="document", size=size, ext="." + filename.rpartition(".")[2])
        doc = {
            "file_id": f.file_id,
            "file_unique_id": f.unique_id,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": f.size,
        }
        extra = {"caption": caption} if caption else {}
        return await self.push_message(user_id=user_id, document=doc, **extra, **kw)

    async def push_photo(
        self,
        data: bytes,
        *,
        caption: str | None = None,
        size: int | None = None,
        user_id: int = 42,
        **kw: Any,
    ) -> dict[str, Any]:
        """A user sends a photo (one size, as a phone upload of a small picture)."""
        f = self.add_file(data, kind="photo", size=size, ext=".jpg")
        photo = [
            {
                "file_id": f.file_id,
                "file_unique_id": f.unique_id,
                "width": 800,
                "height": 600,
                "file_size": f.size,
            }
        ]
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
        current = self._messages.get((chat_id, message["message_id"]), message)
        user_id = user_id if user_id is not None else chat_id
        query = {
            "id": str(next(self._ids)),
            "from": self._user(user_id, first_name, language_code),
            "message": current,
            "chat_instance": str(chat_id),
            "data": data,
        }
        return await self.push_update({"callback_query": query})

    async def tap(self, message: dict[str, Any], label: str, **kw: Any) -> dict[str, Any]:
        """Tap the button of `message` whose label contains `label` (or whose data equals it)."""
        current = self._messages.get((message["chat"]["id"], message["message_id"]), message)
        buttons = [b for row in buttons_of(current) for b in row]
        for b in buttons:
            if b.get("callback_data") == label:
                return await self.push_callback(current, label, **kw)
        matches = [b for b in buttons if label.lower() in b["text"].lower()]
        if not matches:
            labels = [b["text"] for b in buttons]
            raise AssertionError(f"no button {label!r} under message; buttons: {labels}")
        return await self.push_callback(current, matches[0]["callback_data"], **kw)

    async def push_update(self, body: dict[str, Any]) -> dict[str, Any]:
        """Queue (or push to the webhook) a raw update; `update_id` is assigned here."""
        update = {"update_id": next(self._update_ids), **body}
        await self._enqueue(_Queued(update))
        return update

    async def redeliver(self, update: dict[str, Any]) -> None:
        """Deliver `update` again with its original update_id, as Telegram does after a crash."""
        await self._enqueue(_Queued(update, redelivery=True))

    async def _enqueue(self, item: _Queued) -> None:
        if self.webhook is not None and self._webhook_queue is not None:
            await self._webhook_queue.put(item.update)
            return
        async with self._cond:
            self._queue.append(item)
            self._cond.notify_all()

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
        self._failures.append(
            _Failure(method, code, description or default, retry_after, chat_id, network)
        )

    # --- what tests read -----------------------------------------------------------------------

    def messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent (to `chat_id`), oldest first, as they are now (after edits)."""
        return [
            self._messages[(m["chat"]["id"], m["message_id"])]
            for m in self.sent
            if chat_id is None or m["chat"]["id"] == chat_id
        ]

    def current(self, message: dict[str, Any]) -> dict[str, Any]:
        """A message as it is now (its text and buttons after any edit)."""
        return self._messages[(message["chat"]["id"], message["message_id"])]

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

    def calls_of(self, method: str) -> list[Call]:
        """Every call of one method, oldest first."""
        return [c for c in self.calls if c.method == method]

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until `predicate()` holds (it is checked after every call and update)."""

        async def wait() -> None:
            async with self._cond:
                await self._cond.wait_for(predicate)

        await asyncio.wait_for(wait(), within)

    async def post_webhook(self, update: dict[str, Any], secret: str | None) -> int:
        """POST one update to the registered webhook with `secret`; return the HTTP status."""
        assert self.webhook is not None, "no webhook set"
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.webhook.url, json=update, headers=headers) as resp,
        ):
            return resp.status

    # --- the Bot API --------------------------------------------------------------------------

    async def _params(self, req: web.Request) -> dict[str, Any]:
        if req.content_type == "application/json":
            return dict(await req.json())
        params: dict[str, Any] = {}
        for key, value in (await req.post()).items():
            if isinstance(value, web.FileField):
                params[key] = Upload(value.filename, value.content_type, value.file.read())
            elif key in _STRING_FIELDS or not isinstance(value, str):
                params[key] = value
            else:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
        return params

    async def _record(self, call: Call) -> None:
        async with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    async def _handle(self, req: web.Request) -> web.StreamResponse:
        if req.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method, params = req.match_info["method"], await self._params(req)
        await self._record(Call(method, params, self.clock()))
        failure = self._take_failure(method, params)
        if failure is not None:
            if failure.network:
                assert req.transport is not None
                req.transport.close()
                return web.Response(status=500)
            return _error(failure.code, failure.description, failure.retry_after)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None and method in _TRUE_METHODS:
            if method == "setMyCommands":
                self.commands = params.get("commands", [])
            return _ok(True)
        if handler is None:
            return _error(404, f"Not Found: method {method} is not emulated")
        return await handler(params)

    def _take_failure(self, method: str, params: dict[str, Any]) -> _Failure | None:
        chat = params.get("chat_id")
        for failure in self._failures:
            if failure.method == method and failure.chat_id in (None, chat):
                self._failures.remove(failure)
                return failure
        if method in _SENDS and isinstance(chat, int) and chat in self.blocked:
            return _Failure(
                method, 403, "Forbidden: bot was blocked by the user", None, chat, False
            )
        return None

    async def _api_getMe(self, _p: dict[str, Any]) -> web.Response:
        return _ok(self.bot_user)

    async def _api_getUpdates(self, p: dict[str, Any]) -> web.Response:
        if self.webhook is not None:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(p.get("offset") or 0)
        async with self._cond:
            # An offset confirms every update below it; re-deliveries go out once regardless.
            self._queue = [
                q for q in self._queue if q.redelivery or q.update["update_id"] >= offset
            ]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._cond.wait_for(lambda: bool(self._queue) or self._closing),
                    float(p.get("timeout") or 0),
                )
            batch = self._queue[: int(p.get("limit") or 100)]
            self._queue = [q for q in self._queue if not (q.redelivery and q in batch)]
            return _ok([q.update for q in batch])

    async def _api_setWebhook(self, p: dict[str, Any]) -> web.Response:
        self.webhook = _Webhook(p["url"], p.get("secret_token"))
        if self._webhook_task is None:
            self._webhook_queue = asyncio.Queue()
            self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        async with self._cond:
            pending, self._queue = self._queue, []
        for item in pending if not p.get("drop_pending_updates") else []:
            await self._webhook_queue.put(item.update)  # type: ignore[union-attr]
        return _ok(True)

    async def _api_deleteWebhook(self, p: dict[str, Any]) -> web.Response:
        self.webhook = None
        if p.get("drop_pending_updates"):
            async with self._cond:
                self._queue.clear()
        return _ok(True)

    async def _deliver_webhooks(self) -> None:
        assert self._webhook_queue is not None
        async with aiohttp.ClientSession() as http:
            while True:
                update = await self._webhook_queue.get()
                hook = self.webhook
                if hook is None:
                    continue
                headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret} if hook.secret else {}
                try:
                    async with http.post(hook.url, json=update, headers=headers) as resp:
                        status = resp.status
                except aiohttp.ClientError:
                    status = 0
                async with self._cond:
                    hook.deliveries.append((update["update_id"], status))
                    self._cond.notify_all()

    def _admit(self, chat_id: int) -> web.Response | None:
        if self.flood is None:
            return None
        wait = self.flood.check(chat_id)
        if wait is None:
            return None
        return _error(429, f"Too Many Requests: retry after {wait}", wait)

    async def _store_sent(self, p: dict[str, Any], content: dict[str, Any]) -> web.Response:
        chat_id = int(p["chat_id"])
        refused = self._admit(chat_id)
        if refused is not None:
            return refused
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids[chat_id]),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": self.bot_user,
            **content,
        }
        if (p.get("reply_markup") or {}).get("inline_keyboard"):
            # A message carries only inline keyboards; ForceReply and reply keyboards are
            # instructions to the client (see them in `calls`).
            msg["reply_markup"] = p["reply_markup"]
        reply = (p.get("reply_parameters") or {}).get("message_id") or p.get("reply_to_message_id")
        if reply and (chat_id, reply) in self._messages:
            msg["reply_to_message"] = self._messages[(chat_id, reply)]
        async with self._cond:
            self._messages[(chat_id, msg["message_id"])] = msg
            self.sent.append(msg)
            self._cond.notify_all()
        return _ok(msg)

    async def _api_sendMessage(self, p: dict[str, Any]) -> web.Response:
        return await self._store_sent(p, {"text": p["text"]})

    def _upload(self, value: Any, kind: str) -> _File:
        if isinstance(value, Upload):
            ext = "." + value.filename.rpartition(".")[2] if "." in value.filename else ""
            return self.add_file(value.data, kind=kind, ext=ext)
        return self.files[str(value)]

    async def _api_sendDocument(self, p: dict[str, Any]) -> web.Response:
        f = self._upload(p["document"], "document")
        name = p["document"].filename if isinstance(p["document"], Upload) else f.path
        content: dict[str, Any] = {
            "document": {
                "file_id": f.file_id,
                "file_unique_id": f.unique_id,
                "file_name": name,
                "file_size": f.size,
            }
        }
        if p.get("caption"):
            content["caption"] = p["caption"]
        return await self._store_sent(p, content)

    async def _api_sendPhoto(self, p: dict[str, Any]) -> web.Response:
        f = self._upload(p["photo"], "photo")
        content: dict[str, Any] = {
            "photo": [
                {
                    "file_id": f.file_id,
                    "file_unique_id": f.unique_id,
                    "width": 800,
                    "height": 600,
                    "file_size": f.size,
                }
            ]
        }
        if p.get("caption"):
            content["caption"] = p["caption"]
        return await self._store_sent(p, content)

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes behind a file id (one the bot uploaded or a user sent)."""
        return self.files[file_id].data

    async def _edit(self, p: dict[str, Any], text: str | None) -> web.Response:
        key = (int(p["chat_id"]), int(p["message_id"]))
        if key not in self._messages:
            return _error(400, "Bad Request: message to edit not found")
        async with self._cond:
            msg = dict(self._messages[key])
            if text is not None:
                msg["text"] = text
            if p.get("reply_markup"):
                msg["reply_markup"] = p["reply_markup"]
            else:
                msg.pop("reply_markup", None)
            msg["edit_date"] = int(time.time())
            self._messages[key] = msg
            self._cond.notify_all()
        return _ok(msg)

    async def _api_editMessageText(self, p: dict[str, Any]) -> web.Response:
        return await self._edit(p, p["text"])

    async def _api_editMessageReplyMarkup(self, p: dict[str, Any]) -> web.Response:
        return await self._edit(p, None)

    async def _api_answerCallbackQuery(self, p: dict[str, Any]) -> web.Response:
        async with self._cond:
            self.callback_answers.append(p)
            self._cond.notify_all()
        return _ok(True)

    async def _api_getFile(self, p: dict[str, Any]) -> web.Response:
        f = self.files.get(str(p.get("file_id")))
        if f is None:
            return _error(400, "Bad Request: invalid file_id")
        if f.size > CLOUD_DOWNLOAD_LIMIT:
            return _error(400, "Bad Request: file is too big")
        return _ok(
            {
                "file_id": f.file_id,
                "file_unique_id": f.unique_id,
                "file_size": f.size,
                "file_path": f.path,
            }
        )

    async def _download(self, req: web.Request) -> web.Response:
        if req.match_info["token"] != self.token:
            return web.Response(status=401)
        path = req.match_info["path"]
        for f in self.files.values():
            if f.path == path:
                return web.Response(body=f.data)
        return web.Response(status=404)


def buttons_of(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The inline keyboard rows of a message (empty when it has none)."""
    markup = message.get("reply_markup") or {}
    return markup.get("inline_keyboard", [])


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=code)
