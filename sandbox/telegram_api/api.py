"""The Bot API side of the emulator: `/bot<TOKEN>/<method>` and `/file/bot<TOKEN>/<path>`.

python-telegram-bot posts form fields, JSON-encoded except plain strings, or multipart when it
uploads a file (tech-notes §3). Each method works on the World; a primed failure or a blocked
chat answers as Telegram would (429 with retry_after, 403, or a dropped connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.telegram_api.world import Call, Failure, StoredFile, Upload, Webhook, World

# Fields that are strings in the Bot API: never JSON-decode them ("123" stays "123").
_STRING_FIELDS = frozenset(
    {"text", "caption", "parse_mode", "callback_query_id", "url", "secret_token", "file_id",
     "action", "description", "short_description", "ip_address", "language_code"}
)  # fmt: skip
SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
_TRUE_METHODS = frozenset({"setMyCommands", "sendChatAction", "deleteMyCommands"})
CLOUD_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files on the cloud Bot API
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_RETRY_SECONDS = 0.5  # a webhook call not answered 200 is made again after this


def ok(result: Any) -> web.Response:
    """A successful Bot API answer."""
    return web.json_response({"ok": True, "result": result})


def error(code: int, description: str, retry_after: int | None = None) -> web.Response:
    """A failed Bot API answer, with `parameters.retry_after` for a 429."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=code)


class BotApi:
    """The HTTP handlers of the Bot API for one token, over a World."""

    def __init__(self, world: World, token: str) -> None:
        self.world, self.token = world, token
        self._webhook_task: asyncio.Task[None] | None = None

    def routes(self, app: web.Application) -> None:
        """Add the API and file-download routes to `app`."""
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._download)

    async def close(self) -> None:
        """Stop delivering to the webhook."""
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task

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

    async def _handle(self, req: web.Request) -> web.StreamResponse:
        if req.match_info["token"] != self.token:
            return error(401, "Unauthorized")
        w = self.world
        method, params = req.match_info["method"], await self._params(req)
        await w.changed(lambda: w.calls.append(Call(method, params, w.clock())))
        failure = self._take_failure(method, params)
        if failure is not None:
            if failure.network:
                assert req.transport is not None
                req.transport.close()
                return web.Response(status=500)
            return error(failure.code, failure.description, failure.retry_after)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None and method in _TRUE_METHODS:
            if method == "setMyCommands":
                w.commands = params.get("commands", [])
            return ok(True)
        if handler is None:
            return error(404, f"Not Found: method {method} is not emulated")
        return await handler(params)

    def _take_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        chat = params.get("chat_id")
        for failure in self.world.failures:
            if failure.method == method and failure.chat_id in (None, chat):
                self.world.failures.remove(failure)
                return failure
        if method in SENDS and isinstance(chat, int) and chat in self.world.blocked:
            blocked = "Forbidden: bot was blocked by the user"
            return Failure(method, 403, blocked, None, chat, False)
        return None

    async def _api_getMe(self, _p: dict[str, Any]) -> web.Response:
        return ok(self.world.bot_user)

    async def _api_getUpdates(self, p: dict[str, Any]) -> web.Response:
        w = self.world
        if w.webhook is not None:
            return error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(p.get("offset") or 0)
        async with w.cond:
            w.confirmed = max(w.confirmed, offset)
            # An offset confirms every update below it; re-deliveries go out once regardless.
            w.queue = [q for q in w.queue if q.redelivery or q.update["update_id"] >= offset]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    w.cond.wait_for(lambda: bool(w.queue) or w.closing),
                    float(p.get("timeout") or 0),
                )
            batch = w.queue[: int(p.get("limit") or 100)]
            w.queue = [q for q in w.queue if not (q.redelivery and q in batch)]
            return ok([q.update for q in batch])

    async def _api_setWebhook(self, p: dict[str, Any]) -> web.Response:
        w = self.world
        w.webhook = Webhook(p["url"], p.get("secret_token"))
        if self._webhook_task is None:
            self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        async with w.cond:
            pending, w.queue = w.queue, []
        for item in pending if not p.get("drop_pending_updates") else []:
            await w.webhook_queue.put(item.update)
        return ok(True)

    async def _api_deleteWebhook(self, p: dict[str, Any]) -> web.Response:
        w = self.world
        w.webhook = None
        if p.get("drop_pending_updates"):
            await w.changed(w.queue.clear)
        return ok(True)

    async def _deliver_webhooks(self) -> None:
        w = self.world
        async with aiohttp.ClientSession() as http:
            while True:
                update = await w.webhook_queue.get()
                hook = w.webhook
                if hook is None:
                    continue
                headers = {SECRET_HEADER: hook.secret} if hook.secret else {}
                try:
                    async with http.post(hook.url, json=update, headers=headers) as resp:
                        status = resp.status
                except aiohttp.ClientError:
                    status = 0
                entry = (update["update_id"], status)
                await w.changed(lambda h=hook, e=entry: h.deliveries.append(e))
                if status != 200:  # Telegram keeps the update and tries again later
                    asyncio.get_running_loop().call_later(
                        WEBHOOK_RETRY_SECONDS, w.webhook_queue.put_nowait, update
                    )

    async def _store_sent(self, p: dict[str, Any], content: dict[str, Any]) -> web.Response:
        w, chat_id = self.world, int(p["chat_id"])
        wait = w.flood.check(chat_id) if w.flood is not None else None
        if wait is not None:
            return error(429, f"Too Many Requests: retry after {wait}", wait)
        if (p.get("reply_markup") or {}).get("inline_keyboard"):
            # A message carries only inline keyboards; ForceReply and reply keyboards are
            # instructions to the client (see them in `calls`).
            content = {**content, "reply_markup": p["reply_markup"]}
        reply = (p.get("reply_parameters") or {}).get("message_id") or p.get("reply_to_message_id")
        if reply and (chat_id, reply) in w.messages:
            content = {**content, "reply_to_message": w.messages[(chat_id, reply)]}
        msg = w.new_message(chat_id, w.bot_user, content)
        await w.changed(lambda: w.sent.append(msg))
        return ok(msg)

    async def _api_sendMessage(self, p: dict[str, Any]) -> web.Response:
        return await self._store_sent(p, {"text": p["text"]})

    def _upload(self, value: Any, kind: str) -> StoredFile:
        if isinstance(value, Upload):
            ext = "." + value.filename.rpartition(".")[2] if "." in value.filename else ""
            return self.world.add_file(value.data, kind=kind, ext=ext)
        return self.world.files[str(value)]

    async def _api_sendDocument(self, p: dict[str, Any]) -> web.Response:
        f = self._upload(p["document"], "document")
        name = p["document"].filename if isinstance(p["document"], Upload) else f.path
        doc = {"file_id": f.file_id, "file_unique_id": f.unique_id, "file_name": name,
               "file_size": f.size}  # fmt: skip
        caption = {"caption": p["caption"]} if p.get("caption") else {}
        return await self._store_sent(p, {"document": doc, **caption})

    async def _api_sendPhoto(self, p: dict[str, Any]) -> web.Response:
        f = self._upload(p["photo"], "photo")
        size = {"file_id": f.file_id, "file_unique_id": f.unique_id, "width": 800, "height": 600,
                "file_size": f.size}  # fmt: skip
        caption = {"caption": p["caption"]} if p.get("caption") else {}
        return await self._store_sent(p, {"photo": [size], **caption})

    async def _edit(self, p: dict[str, Any], text: str | None) -> web.Response:
        w, key = self.world, (int(p["chat_id"]), int(p["message_id"]))
        if key not in w.messages:
            return error(400, "Bad Request: message to edit not found")
        msg = dict(w.messages[key])
        if text is not None:
            msg["text"] = text
        if p.get("reply_markup"):
            msg["reply_markup"] = p["reply_markup"]
        else:  # Telegram drops the keyboard of an edit that gives none
            msg.pop("reply_markup", None)
        msg["edit_date"] = int(time.time())
        await w.changed(lambda: w.messages.__setitem__(key, msg))
        return ok(msg)

    async def _api_editMessageText(self, p: dict[str, Any]) -> web.Response:
        return await self._edit(p, p["text"])

    async def _api_editMessageReplyMarkup(self, p: dict[str, Any]) -> web.Response:
        return await self._edit(p, None)

    async def _api_answerCallbackQuery(self, p: dict[str, Any]) -> web.Response:
        answered = {a.get("callback_query_id") for a in self.world.callback_answers}
        if p.get("callback_query_id") in answered:  # Telegram takes one answer per query
            return error(400, "Bad Request: query is too old and response timeout expired or "
                         "query ID is invalid")  # fmt: skip
        await self.world.changed(lambda: self.world.callback_answers.append(p))
        return ok(True)

    async def _api_getFile(self, p: dict[str, Any]) -> web.Response:
        f = self.world.files.get(str(p.get("file_id")))
        if f is None:
            return error(400, "Bad Request: invalid file_id")
        if f.size > CLOUD_DOWNLOAD_LIMIT:
            return error(400, "Bad Request: file is too big")
        return ok({"file_id": f.file_id, "file_unique_id": f.unique_id, "file_size": f.size,
                   "file_path": f.path})  # fmt: skip

    async def _download(self, req: web.Request) -> web.Response:
        if req.match_info["token"] != self.token:
            return web.Response(status=401)
        for f in self.world.files.values():
            if f.path == req.match_info["path"]:
                return web.Response(body=f.data)
        return web.Response(status=404)
