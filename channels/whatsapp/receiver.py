"""The WhatsApp webhook and the inbox worker: every call signed, stored, answered, handled.

- GET: the verification handshake Meta does when the webhook is registered (`hub.mode` =
  subscribe, `hub.verify_token` as configured: answer `hub.challenge`).
- POST: the raw body is checked against `X-Hub-Signature-256` (HMAC-SHA256 with the app
  secret, constant-time compare): none -> 401, wrong -> 403, logged without the body. Each
  message and status it carries is committed to the channel-neutral inbox (bot/intake/inbox.py,
  channel "whatsapp", keyed by the `wamid`) BEFORE the 200: Meta retries a webhook it saw no
  200 for, and a re-delivery finds the key and stores nothing twice.

pywa's webhook integration is not used: it mounts on Flask/FastAPI and runs the handlers
itself while answering, so "200 only after commit" and "handled later from the store" would
not hold; the signature check and the payload's shape are a few lines here.

The worker then takes the earliest pending item of each citizen (a lane per sender, so one
person's messages are handled in order) and hands it to messages.py or statuses.py; a failure
is retried with a doubling delay and, after INBOX_MAX_ATTEMPTS, kept as a dead letter.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from typing import Any

from aiohttp import web

from bot.intake.inbox import DEAD, Held, Inbound, Inbox
from bot.intake.lanes import LaneWorker
from bot.notify.delivery import DispatchNow
from bot.privacy.masking import redact
from bot.services import Services
from channels.whatsapp.conversation import Conversation
from channels.whatsapp.graph import GraphClient
from channels.whatsapp.messages import handle_message
from channels.whatsapp.statuses import record_status

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
IDLE_WAIT = 1.0  # seconds the worker sleeps when nothing is due
REMEMBER = dt.timedelta(days=7)  # Meta retries an unanswered webhook for up to 7 days
FORGET_DEAD = dt.timedelta(days=30)  # a dead letter's payload is personal data
# An abandoned form's answers may hold a NIK or an address (UU 27/2022), as on Telegram.
FORGET_DRAFTS = dt.timedelta(days=30)
PRUNE_EVERY = 3600.0


def signature_ok(secret: str, body: bytes, header: str) -> bool:
    """True when `header` is `sha256=` + the HMAC-SHA256 of `body` with `secret`."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.strip().encode(), expected.encode())


def _position(item: dict[str, Any]) -> int:
    try:
        return int(item.get("timestamp") or 0)
    except (TypeError, ValueError):
        return 0


def inbox_items(payload: dict[str, Any]) -> list[Inbound]:
    """One inbox item per message (keyed by its wamid, in its sender's lane) and per status
    callback (keyed by wamid and status) of a webhook body; anything else is ignored."""
    items: list[Inbound] = []
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            contacts = {str(c.get("wa_id")): c for c in value.get("contacts") or []}
            for message in value.get("messages") or []:
                sender = str(message["from"])
                data = {"message": message, "contact": contacts.get(sender)}
                items.append(Inbound(CHANNEL, str(message["id"]), f"wa:{sender}",
                                     _position(message), data))  # fmt: skip
            for status in value.get("statuses") or []:
                key = f"status:{status['id']}:{status['status']}"
                items.append(Inbound(CHANNEL, key[:128], f"status:{status['id']}"[:64],
                                     _position(status), {"status": status}))  # fmt: skip
            for error in value.get("errors") or []:  # account-level errors: no row to update
                log.warning("WhatsApp reported error %s", error.get("code"))
    return items


class WhatsAppReceiver:
    """The webhook routes and the worker that handles what they stored."""

    def __init__(self, services: Services, graph: GraphClient, dispatch: DispatchNow) -> None:
        self.services, self.graph = services, graph
        self.conversation = Conversation(services, graph, dispatch)
        settings = services.settings
        self.inbox = Inbox(
            services.db,
            max_attempts=settings.inbox_max_attempts,
            retry_base=dt.timedelta(seconds=settings.inbox_retry_base_seconds),
            claim_for=dt.timedelta(seconds=settings.inbox_claim_seconds),
        )
        # one lane at a time per worker (2 cores, and media downloads are the cost); lanes are
        # claimed in the store, so every worker may run one
        self.lanes = LaneWorker(self.inbox, CHANNEL, self.handle, services.clock.now,
                                idle_wait=IDLE_WAIT, before_round=self._maybe_prune)  # fmt: skip
        self._worker: asyncio.Task[None] | None = None
        self._last_prune = 0.0

    def routes(self) -> list[web.RouteDef]:
        """GET (verification) and POST (updates) on WHATSAPP_WEBHOOK_PATH."""
        path = self.services.settings.whatsapp_webhook_path
        return [web.get(path, self.verify), web.post(path, self.receive)]

    async def verify(self, request: web.Request) -> web.Response:
        """The subscription handshake: echo `hub.challenge` for the right verify token."""
        token = self.services.settings.whatsapp_verify_token.get_secret_value()
        given = request.query.get("hub.verify_token", "")
        if (
            request.query.get("hub.mode") == "subscribe"
            and token
            and hmac.compare_digest(given.encode(), token.encode())
        ):
            return web.Response(text=request.query.get("hub.challenge", ""))
        log.warning("WhatsApp webhook verification with a wrong token refused")
        return web.Response(status=403)

    async def receive(self, request: web.Request) -> web.Response:
        """One webhook call: signature checked, its items committed, then 200."""
        raw = await request.read()
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            log.warning("WhatsApp webhook call without a signature refused")
            return web.Response(status=401)
        secret = self.services.settings.whatsapp_app_secret.get_secret_value()
        if not signature_ok(secret, raw, header):
            log.warning("WhatsApp webhook call with a wrong signature refused")
            return web.Response(status=403)
        try:
            payload = json.loads(raw)
            items = inbox_items(payload) if isinstance(payload, dict) else None
        except (ValueError, KeyError, TypeError, AttributeError):
            items = None
        if items is None:
            log.warning("WhatsApp webhook body is not an update; refused")
            return web.Response(status=400)
        try:
            await self.inbox.store(items, self.services.clock.now())
        except Exception:
            log.exception("storing a WhatsApp webhook failed; Meta will send it again")
            return web.Response(status=500)
        self.lanes.wake()
        return web.Response(text="ok")

    # --- the worker ------------------------------------------------------------------------

    def start(self) -> None:
        """Start working off the inbox (items left by an earlier process come first)."""
        self._worker = asyncio.create_task(self.lanes.run(), name="whatsapp-inbox")

    async def stop(self) -> None:
        """Let the item in hand finish, then stop."""
        await self.lanes.stop()
        if self._worker is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def handle(self, item: Held) -> None:
        """Handle one stored item and record the outcome (done, retry later, or dead)."""
        now = self.services.clock.now
        try:
            number = await self.inbox.begin(item.id)
            try:
                if "message" in item.payload:
                    message = item.payload["message"]
                    await handle_message(self.services, self.graph, self.conversation,
                                         message, item.payload.get("contact"))  # fmt: skip
                else:
                    await record_status(self.services, item.payload["status"])
            except Exception as exc:
                error = redact(f"{type(exc).__name__}: {exc}")
                if await self.inbox.failed(item.id, error, now()) == DEAD:
                    log.error("WhatsApp item %s failed %d times; kept as a dead letter",
                              item.external_id, number)  # fmt: skip
                else:
                    log.warning("handling WhatsApp item %s failed; tried again later: %s",
                                item.external_id, error)  # fmt: skip
                return
            await self.inbox.done(item.id, now())
        except Exception:
            log.exception("the WhatsApp inbox could not record item %s", item.external_id)
            await asyncio.sleep(IDLE_WAIT)

    async def _maybe_prune(self) -> None:
        if self._last_prune and time.monotonic() - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = time.monotonic()
        now = self.services.clock.now()
        try:
            await self.inbox.prune(done_before=now - REMEMBER, dead_before=now - FORGET_DEAD)
            await self.conversation.drafts.forget(now - FORGET_DRAFTS)
        except Exception:
            log.exception("pruning the WhatsApp inbox failed")
