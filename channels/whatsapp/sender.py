"""The WhatsApp Sender: delivers outbox rows (the bot/notify/delivery.py contract) through the
Cloud API.

Each row is rendered by render.py, which picks by the 24-hour window: inside it the free form
(text pieces, reply buttons or a list, documents uploaded through the media endpoint), outside
it the row's approved template (templates.py). A free-form message the Cloud API refuses
because the window closed after all (131047, e.g. clocks apart) is sent again as the template
at once, never dropped; a row whose free form failed later (a `failed` status with 131047,
statuses.py) comes back flagged to go as its template. When the citizen later writes, the full
text of every update that went as a template follows (`full_text_after_reply`).

Throughput: the dispatcher waits for the business number's and the citizen's (pair) rate
limits before it hands a row over (scheduler/ratelimit.py); a row of several messages waits
again, on the same limiter, before each further message (`bind_dispatch` hands it over).
Rate-limit errors back off (errors.py).

The row's `external_id` becomes the wamid of its first message, so status callbacks
(statuses.py) find the row.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from typing import Any, Protocol

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.notify.delivery import DispatchNow
from bot.notify.outbox import enqueue
from bot.services import Services
from channels.whatsapp.errors import WINDOW_CLOSED, delivery_failure
from channels.whatsapp.graph import GraphClient, GraphError
from channels.whatsapp.render import WaPart, WhatsAppRenderer
from store.enums import Channel
from store.models import OutboxMessage

log = logging.getLogger(__name__)

AS_TEMPLATE = "whatsapp_sent_as_template"
FILE_IN_TEMPLATE = "whatsapp_template_carried_file"  # the first file went in its header
FULL_SENT = "whatsapp_full_text_queued"
PARTS_SENT = "whatsapp_parts_sent"  # messages of the row that went before a failure
FIRST_WAMID = "whatsapp_first_wamid"  # and the id of its first, for the status callbacks


class Pace(Protocol):
    """The dispatcher's rate limiter (scheduler/ratelimit.RateLimiter), as this sender uses it."""

    async def acquire(self, channel: str, recipient: str) -> float:
        """Wait until one more message to `recipient` fits the channel's limits."""
        ...

    async def settle(self, channel: str, recipient: str) -> None:
        """The message `acquire` allowed has been answered (or given up): once per acquire."""
        ...


def with_media(body: dict[str, Any], media_id: str) -> dict[str, Any]:
    """`body` with the uploaded file's id in its document (or its template's header)."""
    body = copy.deepcopy(body)
    if body["type"] == "document":
        body["document"]["id"] = media_id
    else:
        for component in body["template"]["components"]:
            for param in component.get("parameters") or []:
                if param.get("type") == "document":
                    param["document"]["id"] = media_id
    return body


class WhatsAppSender:
    """Delivers outbox rows of the `whatsapp` channel."""

    channel = Channel.WHATSAPP.value

    def __init__(self, services: Services, graph: GraphClient) -> None:
        self.services, self.graph = services, graph
        self.renderer = WhatsAppRenderer(services)
        self._dispatch: DispatchNow | None = None
        self._pace: Pace | None = None

    def bind_dispatch(self, dispatch: DispatchNow) -> None:
        """Remember the dispatcher (called by it), and its rate limiter for the messages of a
        row after its first."""
        self._dispatch = dispatch
        self._pace = getattr(dispatch, "limiter", None)

    async def dispatch_now(self, *, case_id: int, purpose: str) -> bool:
        """Have the dispatcher send the due rows of `case_id` with `purpose` now; False when
        none was sent (no dispatcher runs in this process, or it failed and will retry)."""
        if self._dispatch is None:
            return False
        return await self._dispatch.dispatch_now(case_id=case_id, purpose=purpose)

    async def send(self, message: OutboxMessage) -> str | None:
        """Deliver one row (free form inside the window, its template outside or when the
        free form is refused for the window); return the wamid of its first message."""
        rendering = await self.renderer.render(message)
        payload = message.payload or {}
        done, first = int(payload.get(PARTS_SENT) or 0), payload.get(FIRST_WAMID)
        try:
            if not rendering.as_template:
                try:
                    wamid = await self._send_parts(message, rendering.to, rendering.parts,
                                                   done, first)  # fmt: skip
                except GraphError as exc:
                    if exc.code != WINDOW_CLOSED:
                        raise
                    log.info("outbox row %s: window closed, sent as template", message.id)
                else:
                    if done:
                        await self._note(message.id, {PARTS_SENT: None, FIRST_WAMID: None})
                    return wamid
            template = rendering.template
            wamid = await self._send_parts(message, rendering.to, (template,), 0, None)
        except GraphError as exc:
            raise delivery_failure(exc) from exc
        await self._note(message.id, {AS_TEMPLATE: True, FILE_IN_TEMPLATE: bool(template.document),
                                      PARTS_SENT: None, FIRST_WAMID: None})  # fmt: skip
        return wamid

    async def _send_parts(
        self, row: OutboxMessage, to: str, parts: tuple[WaPart, ...], done: int, first: str | None
    ) -> str:
        """Send `parts` in order (uploading their files) from the `done`-th on; the wamid of the
        first. Failing after some went, the row notes how many did, so its retry goes on from
        there instead of repeating them."""
        for i, part in enumerate(parts):
            if i < done:
                continue
            paced = i > done and self._pace is not None  # the dispatcher paced the first one
            if paced:
                assert self._pace is not None
                await self._pace.acquire(self.channel, row.recipient)
            try:
                body, file = part.body, part.document
                if file is not None:
                    media_id = await self.graph.upload(file.data, file.filename, file.content_type)
                    body = with_media(body, media_id)
                wamid = await self.graph.send({"to": to, **body})
            except GraphError as exc:
                if i and exc.code != WINDOW_CLOSED:
                    await self._note(row.id, {PARTS_SENT: i, FIRST_WAMID: first})
                raise
            finally:
                if paced:  # the limiter counts a send in flight until it is settled
                    assert self._pace is not None
                    await self._pace.settle(self.channel, row.recipient)
            first = first or wamid
        assert first is not None
        return first

    async def _note(self, row_id: int | None, changes: dict[str, Any]) -> None:
        """Record on the row how its delivery went (a None value removes the key): that only
        its template went (and carried its first file), so its full text follows the citizen's
        next message; how many of its messages went before a failure."""
        async with self.services.db.transaction() as session:
            row = await session.get(OutboxMessage, row_id)
            if row is None:
                return
            payload = {**(row.payload or {}), **changes}
            row.payload = {k: v for k, v in payload.items() if v is not None}
            flag_modified(row, "payload")
            session.add(row)


def without_first_file(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` less the file its template already carried (attachments first, then letters)."""
    payload = dict(payload)
    if payload.get("attachments"):
        payload["attachments"] = list(payload["attachments"])[1:]
    elif payload.get("letters"):
        payload["letters"] = list(payload["letters"])[1:]
    return payload


async def full_text_after_reply(session: AsyncSession, address: str, now: dt.datetime) -> int:
    """Queue the full text of every update that reached `address` only as a template (the
    citizen just wrote, so the window is open); returns how many were queued."""
    stmt = select(OutboxMessage).where(
        OutboxMessage.channel == Channel.WHATSAPP.value,
        OutboxMessage.recipient == address,
        col(OutboxMessage.sent_at).is_not(None),
    )
    queued = 0
    for row in (await session.exec(stmt)).all():
        payload = row.payload or {}
        if not payload.get(AS_TEMPLATE) or payload.get(FULL_SENT):
            continue
        queued += await enqueue(
            session,
            dedup_key=f"wa-full:{row.id}",
            channel=row.channel,
            recipient=row.recipient,
            purpose=row.purpose,
            subject=row.subject,
            body=row.body,
            case_id=row.case_id,
            now=now,
            # its files and letters too (less one its template carried); not the markers of
            # how the first attempt went
            payload={
                k: v
                for k, v in (
                    without_first_file(payload) if payload.get(FILE_IN_TEMPLATE) else payload
                ).items()
                if not k.startswith("whatsapp_")
            },
        )
        row.payload = {**payload, FULL_SENT: True}
        flag_modified(row, "payload")
        session.add(row)
    return queued
