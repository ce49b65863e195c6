"""The WhatsApp Sender: delivers outbox rows (the bot/notify/delivery.py contract) through the
Cloud API.

The 24-hour customer-service window decides the form (WhatsApp Business Messaging Policy):
within 24 hours of the citizen's last inbound message, stored by intake, the row goes as
free-form text (cut into pieces of at most 4,096 characters), its files uploaded and sent as
documents after it; outside it, as the approved
template WHATSAPP_TEMPLATE_UPDATE with the body's name, the case reference and the row's
subject as parameters (docs/whatsapp.md). A free-form message the Cloud API refuses because
the window closed after all (131047, e.g. clocks apart) is sent again as the template at
once, never dropped. When the citizen later writes, the full text of every update that went as
a template follows (`full_text_after_reply`).

The row's `external_id` becomes the wamid of its first message, so status callbacks
(statuses.py) find the row.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.notify.delivery import DispatchNow, PermanentFailure
from bot.notify.message import text_pieces
from bot.notify.outbox import enqueue
from bot.notify.outgoing_files import outgoing_files_of
from bot.services import Services
from channels.whatsapp.errors import WINDOW_CLOSED, delivery_failure
from channels.whatsapp.graph import GraphClient, GraphError
from store.enums import Channel, Direction
from store.models import Case, Message, OutboxMessage

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
WINDOW = dt.timedelta(hours=24)
# Sent a little before the window closes, or the message may arrive after it did.
WINDOW_MARGIN = dt.timedelta(minutes=10)
PARAM_LIMIT = 200  # characters per template parameter (Meta: no newlines, no 4+ spaces)
AS_TEMPLATE = "whatsapp_sent_as_template"
FULL_SENT = "whatsapp_full_text_queued"


def template_parameter(value: str | None) -> str:
    """A value fit for a template parameter: one line, no runs of spaces, not empty."""
    flat = re.sub(r"\s+", " ", value or "").strip()
    return (flat[: PARAM_LIMIT - 1] + "…" if len(flat) > PARAM_LIMIT else flat) or "-"


def wa_number(recipient: str) -> str:
    """The digits the Cloud API wants in `to` (`+6281...` -> `6281...`)."""
    digits = recipient.strip().removeprefix("+")
    if not digits.isdigit():
        raise PermanentFailure("not a WhatsApp number")
    return digits


async def last_inbound_at(session: AsyncSession, address: str) -> dt.datetime | None:
    """When the citizen at `address` last wrote to us on WhatsApp (stored by intake)."""
    stmt = select(func.max(Message.created_at)).where(
        Message.channel == Channel.WHATSAPP.value,
        Message.direction == Direction.INBOUND.value,
        Message.sender == address,
    )
    return (await session.exec(stmt)).one()


class WhatsAppSender:
    """Delivers outbox rows of the `whatsapp` channel."""

    channel = Channel.WHATSAPP.value

    def __init__(self, services: Services, graph: GraphClient) -> None:
        self.services, self.graph = services, graph
        self._dispatch: DispatchNow | None = None

    def bind_dispatch(self, dispatch: DispatchNow) -> None:
        """Remember the dispatcher that delivers this channel's rows (called by it)."""
        self._dispatch = dispatch

    async def dispatch_now(self, *, case_id: int, purpose: str) -> bool:
        """Have the dispatcher send the due rows of `case_id` with `purpose` now (a submitted
        form's number); False when none was sent (no dispatcher here, or it will retry)."""
        if self._dispatch is None:
            return False
        return await self._dispatch.dispatch_now(case_id=case_id, purpose=purpose)

    async def send(self, message: OutboxMessage) -> str | None:
        """Deliver one row (free-form inside the window, its template outside); return the
        wamid of its first message."""
        to = wa_number(message.recipient)
        payload: dict[str, Any] = message.payload or {}
        async with self.services.db.session() as session:
            case = await session.get(Case, message.case_id) if message.case_id else None
            last = await last_inbound_at(session, message.recipient)
        now = self.services.clock.now()
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=dt.UTC)
        window_open = last is not None and now - last < WINDOW - WINDOW_MARGIN
        try:
            if window_open and not payload.get("whatsapp_template"):
                try:
                    return await self._free_form(to, message, payload)
                except GraphError as exc:
                    if exc.code != WINDOW_CLOSED:
                        raise
                    log.info("outbox row %s: window closed, sent as template", message.id)
            wamid = await self._template(to, message, case)
        except GraphError as exc:
            raise delivery_failure(exc) from exc
        await self._mark_template(message.id)
        return wamid

    async def _free_form(self, to: str, row: OutboxMessage, payload: dict[str, Any]) -> str:
        """The text, then each file of the row (attachments, letters as PDF) as a document."""
        services = self.services
        files = await outgoing_files_of(services.db, services.blobs, services.settings, row)
        first: str | None = None
        for i, part in enumerate(text_pieces(row.body, TEXT_LIMIT)):
            message: dict[str, Any] = {"to": to, "type": "text", "text": {"body": part}}
            if i == 0 and payload.get("reply_to"):
                message["context"] = {"message_id": str(payload["reply_to"])}
            wamid = await self.graph.send(message)
            first = first or wamid
        for file in files:
            media_id = await self.graph.upload(file.data, file.filename, file.content_type)
            document = {"id": media_id, "filename": file.filename}
            await self.graph.send({"to": to, "type": "document", "document": document})
        assert first is not None
        return first

    async def _template(self, to: str, message: OutboxMessage, case: Case | None) -> str:
        settings = self.services.settings
        language = (case.language if case else None) or settings.language
        code = (
            settings.whatsapp_template_language_en
            if language == "en"
            else settings.whatsapp_template_language_id
        )
        subject = message.subject or message.body.split("\n", 1)[0]
        params = [settings.body_name, case.reference if case else "-", subject]
        body = {
            "to": to,
            "type": "template",
            "template": {
                "name": settings.whatsapp_template_update,
                "language": {"code": code},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": template_parameter(p)} for p in params
                        ],
                    }
                ],
            },
        }
        return await self.graph.send(body)

    async def _mark_template(self, row_id: int | None) -> None:
        """Note on the row that only its template went, so its full text follows the
        citizen's next message."""
        async with self.services.db.transaction() as session:
            row = await session.get(OutboxMessage, row_id)
            if row is None:
                return
            row.payload = {**(row.payload or {}), AS_TEMPLATE: True}
            flag_modified(row, "payload")
            session.add(row)


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
            # its files and letters too; not the markers of how the first attempt went
            payload={k: v for k, v in payload.items() if not k.startswith("whatsapp_")},
        )
        row.payload = {**payload, FULL_SENT: True}
        flag_modified(row, "payload")
        session.add(row)
    return queued
