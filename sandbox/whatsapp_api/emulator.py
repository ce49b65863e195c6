"""A WhatsApp Cloud API emulator (aiohttp, loopback) for the tests and the demo.

It serves the Graph API endpoints Loket calls (`POST /{version}/{phone_number_id}/messages`,
`GET /{version}/{media_id}` for a media URL, the media download, `POST .../media` uploads,
`GET /{version}/{phone_number_id}` for `loket whatsapp check`), checks the bearer token,
enforces the 24-hour window and the interactive limits (limits.py), and plays the citizens:
`citizen(...).text(...)` signs a webhook (X-Hub-Signature-256: HMAC-SHA256 of the raw body
with the app secret) in the real payload shape and POSTs it to our server. Everything it
accepted is recorded in `sent`, everything it refused in `refused`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.whatsapp_api.limits import (
    CloudApiError,
    Templates,
    approved,
    body_values,
    check_message,
    media_ids,
)

VERSION = "v23.0"
SIGNATURE_HEADER = "X-Hub-Signature-256"
BUSINESS_ACCOUNT_ID = "102290129340398"
DISPLAY_NUMBER = "15550783881"


def signature(secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value Meta sends with `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Sent:
    """A message the business sent through /messages and the emulator accepted."""

    wamid: str
    to: str
    body: dict[str, Any]
    reads: str = ""  # a template's approved text filled in (when the emulator knows it)

    @property
    def type(self) -> str:
        """text, interactive, template, image, document ..."""
        return str(self.body.get("type", "text"))

    @property
    def text(self) -> str:
        """The text a citizen reads (body of a text or interactive message, or the template's
        name and parameters)."""
        if self.type == "text":
            return str(self.body["text"]["body"])
        if self.type == "interactive":
            return str(self.body["interactive"]["body"]["text"])
        if self.type == "template":
            params = [
                p.get("text", "")
                for c in self.body["template"].get("components", [])
                for p in c.get("parameters", [])
            ]
            return " | ".join([self.body["template"]["name"], *params])
        return json.dumps(self.body.get(self.type, {}))


@dataclass
class Priming:
    """A refusal to answer the next matching /messages call with."""

    code: int
    to: str | None = None
    skip: int = 0  # matching calls let through before the refusal


@dataclass
class CloudApiEmulator:
    """The fake Cloud API. `await start()`, point Loket at `base_url`, `await stop()`."""

    now: Callable[[], dt.datetime]
    token: str = "EAAG-test-token"
    app_secret: str = "app-secret-for-tests"
    phone_number_id: str = "106540352242922"
    webhook_url: str = ""
    templates: Templates = field(default_factory=dict)  # approved: (name, code) -> template
    sent: list[Sent] = field(default_factory=list)
    refused: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    uploads: dict[str, str] = field(default_factory=dict)  # media id -> file name we sent
    last_inbound: dict[str, dt.datetime] = field(default_factory=dict)
    deliveries: list[int] = field(default_factory=list)  # webhook answers, in order
    _primed: list[Priming] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    port: int = 0

    # --- server ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What WHATSAPP_API_BASE_URL points at."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_post("/{version}/{number}/messages", self._messages)
        app.router.add_post("/{version}/{number}/media", self._upload)
        app.router.add_get("/download/{media_id}", self._download)
        app.router.add_get("/{version}/{object_id}", self._object)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def fail_next(self, code: int, *, to: str | None = None, skip: int = 0) -> None:
        """Refuse the next /messages call (to `to`, if given; after `skip` more) with Cloud
        API error `code`."""
        self._primed.append(Priming(code, to, skip))

    def sent_to(self, wa_id: str) -> list[Sent]:
        """Messages accepted for `wa_id`, oldest first."""
        return [s for s in self.sent if s.to == wa_id]

    def _authorised(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            raise CloudApiError(190, "Error validating access token")

    def _error(self, exc: CloudApiError) -> web.Response:
        return web.json_response(exc.body(f"trace{next(self._ids)}"), status=exc.status)

    async def _messages(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = {}
        try:
            self._authorised(request)
            if request.match_info["number"] != self.phone_number_id:
                raise CloudApiError(100, "Unsupported post request: unknown phone number id")
            body = await request.json()
            to = str(body.get("to", ""))
            for primed in self._primed:
                if primed.to in (None, to):
                    if primed.skip:
                        primed.skip -= 1
                        break
                    self._primed.remove(primed)
                    raise CloudApiError(primed.code, f"primed failure {primed.code}")
            check_message(
                body, last_inbound=self.last_inbound.get(to), now=self.now(),
                templates=self.templates,
            )  # fmt: skip
            unknown = [m for m in media_ids(body) if m not in self.uploads]
            if unknown:
                raise CloudApiError(131053, f"media {unknown[0]} was not uploaded")
        except CloudApiError as exc:
            self.refused.append((body, exc.code))
            return self._error(exc)
        wamid = f"wamid.OUT{next(self._ids):06d}"
        self.sent.append(Sent(wamid, to, body, self._reads(body)))
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            }
        )

    def _reads(self, body: dict[str, Any]) -> str:
        """What the citizen reads of an accepted template (its approved text filled in)."""
        if body.get("type") != "template":
            return ""
        template = body["template"]
        key = (template.get("name", ""), (template.get("language") or {}).get("code", ""))
        found = approved(self.templates, key)
        return found.filled(body_values(template)) if found and found.text else ""

    async def _upload(self, request: web.Request) -> web.Response:
        try:
            self._authorised(request)
            form = await request.post()
            file = form.get("file")
            if form.get("messaging_product") != "whatsapp" or not isinstance(file, web.FileField):
                raise CloudApiError(100, "messaging_product and file are required")
        except CloudApiError as exc:
            return self._error(exc)
        media_id = f"{next(self._ids) + 800000}"
        self.media[media_id] = (file.file.read(), file.content_type)
        self.uploads[media_id] = file.filename
        return web.json_response({"id": media_id})

    async def _object(self, request: web.Request) -> web.Response:
        try:
            self._authorised(request)
        except CloudApiError as exc:
            return self._error(exc)
        object_id = request.match_info["object_id"]
        if object_id == self.phone_number_id:
            return web.json_response(
                {"id": object_id, "display_phone_number": DISPLAY_NUMBER,
                 "verified_name": "PPID Contoh"}
            )  # fmt: skip
        if object_id not in self.media:
            return self._error(CloudApiError(100, f"media {object_id} does not exist"))
        data, mime = self.media[object_id]
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.base_url}/download/{object_id}",
                "mime_type": mime,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": len(data),
                "id": object_id,
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        try:
            self._authorised(request)  # media URLs need the token too
        except CloudApiError as exc:
            return self._error(exc)
        data, mime = self.media[request.match_info["media_id"]]
        return web.Response(body=data, content_type=mime.split(";")[0])

    # --- webhooks: the citizens' side ------------------------------------------------------

    def citizen(self, wa_id: str, name: str = "Siti") -> Citizen:
        """A WhatsApp user who writes to the business number."""
        return Citizen(self, wa_id, name)

    def envelope(self, value: dict[str, Any]) -> dict[str, Any]:
        """A webhook body around one `value` (entry/changes/value, as Meta sends it)."""
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY_NUMBER,
                         "phone_number_id": self.phone_number_id},
            **value,
        }  # fmt: skip
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": BUSINESS_ACCOUNT_ID, "changes": [{"value": value, "field": "messages"}]}
            ],
        }

    async def post(self, payload: dict[str, Any], *, secret: str | None = None) -> int:
        """POST `payload` to the webhook, signed with `secret` (default: the app secret;
        "" sends no signature); return the HTTP status our server answered."""
        raw = json.dumps(payload).encode()
        secret = self.app_secret if secret is None else secret
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[SIGNATURE_HEADER] = signature(secret, raw)
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.webhook_url, data=raw, headers=headers) as answer,
        ):
            self.deliveries.append(answer.status)
            return answer.status

    async def status(self, sent: Sent, status: str, *, error: CloudApiError | None = None) -> int:
        """Report a status (sent, delivered, read, failed) of a message the business sent."""
        item: dict[str, Any] = {
            "id": sent.wamid,
            "status": status,
            "timestamp": str(int(self.now().timestamp())),
            "recipient_id": sent.to,
        }
        if error is not None:
            item["errors"] = [error.webhook_error()]
        return await self.post(self.envelope({"statuses": [item]}))

    def next_id(self) -> int:
        """A fresh number for ids."""
        return next(self._ids)


@dataclass
class Citizen:
    """Acts as one WhatsApp user: every message is a signed webhook to our server."""

    api: CloudApiEmulator
    wa_id: str
    name: str
    last: dict[str, Any] = field(default_factory=dict)

    def message(self, kind: str, content: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """The webhook body of one message of `kind` (text, image, interactive ...)."""
        now = self.api.now()
        item = {
            "from": self.wa_id,
            "id": f"wamid.IN{self.api.next_id():06d}",
            "timestamp": str(int(now.timestamp())),
            "type": kind,
            kind: content,
            **extra,
        }
        return self.api.envelope(
            {"contacts": [{"profile": {"name": self.name}, "wa_id": self.wa_id}],
             "messages": [item]}
        )  # fmt: skip

    async def send(self, payload: dict[str, Any], **kw: Any) -> int:
        """Deliver `payload` (from `message`); the window opens when our server took it."""
        self.last = payload
        status = await self.api.post(payload, **kw)
        if status == 200:
            self.api.last_inbound[self.wa_id] = self.api.now()
        return status

    async def text(self, body: str, **kw: Any) -> int:
        """Write a text message."""
        return await self.send(self.message("text", {"body": body}), **kw)

    async def media(
        self, kind: str, data: bytes, mime: str, *, caption: str = "", filename: str = ""
    ) -> int:
        """Send an image, document, audio, voice note (audio with voice) or video."""
        media_id = f"{self.api.next_id() + 900000}"
        self.api.media[media_id] = (data, mime)
        content: dict[str, Any] = {
            "id": media_id,
            "mime_type": mime,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        if caption:
            content["caption"] = caption
        if filename:
            content["filename"] = filename
        return await self.send(self.message(kind, content))

    async def location(self, latitude: float, longitude: float, name: str = "") -> int:
        """Share a location."""
        content: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if name:
            content["name"] = name
        return await self.send(self.message("location", content))

    async def tap(self, reply_id: str, title: str, *, kind: str = "button_reply") -> int:
        """Tap a reply button (`button_reply`) or pick a list row (`list_reply`)."""
        content = {"type": kind, kind: {"id": reply_id, "title": title}}
        return await self.send(self.message("interactive", content))

    async def again(self) -> int:
        """Meta delivers the last webhook once more (at-least-once delivery)."""
        return await self.api.post(self.last)
