"""One stored WhatsApp message (a `messages[]` item of a webhook) handed to the core's one
door, `Intake.handle_inbound`, as a citizen's free message.

Parsed by hand, not with pywa's update types: those are built bound to a live pywa client and
its handler dispatch, while here the item comes out of our own inbox (bot/intake/inbox.py), long
after the webhook was answered, and only a dozen documented fields are read.

A tap on one of our buttons, a menu word (MENU, STATUS, ...) or an answer while a form is in
progress belongs to the guided journeys (conversation.py). Routing as on Telegram for a
citizen who writes outside a form: to their newest open case; a
first message with no open case opens a case of WHATSAPP_DEFAULT_KIND, as a first email does
(MAIL_DEFAULT_KIND), since a message to the PPID's number is a request made in writing (UU KIP
Pasal 22(1)); the acknowledgement tells what is still missing. Types Loket cannot read
(stickers, reactions, polls, `unsupported`) are kept for review and answered with a sentence.
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.attachments import FileData, store_files
from bot.cases.requester_view import cases_of_contact
from bot.i18n import t
from bot.intake.answers import rejected_attachments_note
from bot.intake.door import InboundMessage, IntakeResult
from bot.intake.requesters import find_requester
from bot.notify.outbox import enqueue
from bot.notify.purposes import Purpose
from bot.services import Services
from channels.whatsapp.conversation import Conversation
from channels.whatsapp.graph import GraphClient, GraphError, MediaTooLarge
from channels.whatsapp.sender import full_text_after_reply
from store.enums import CaseKind, Channel, ContactKind

log = logging.getLogger(__name__)

MEDIA_KINDS = ("image", "document", "audio", "video", "sticker")
READABLE = ("text", "interactive", "button", "image", "document", "audio", "video", "location",
            "contacts")  # fmt: skip


def address_of(wa_id: str) -> str:
    """The contact form of a WhatsApp id (`6281234567890` -> `+6281234567890`, E.164)."""
    return wa_id if wa_id.startswith("+") else f"+{wa_id}"


def received_at(item: dict[str, Any], fallback: dt.datetime) -> dt.datetime:
    """When the citizen sent `item` (its Unix `timestamp`), else `fallback`."""
    try:
        return dt.datetime.fromtimestamp(int(item["timestamp"]), tz=dt.UTC)
    except (KeyError, ValueError, TypeError):
        return fallback


@dataclass(frozen=True)
class Content:
    """What a message says: its text, its files, and files that could not be kept."""

    text: str
    attachments: tuple[FileData, ...] = ()
    rejected: tuple[str, ...] = ()


def _filename(kind: str, media: dict[str, Any], mime: str) -> str:
    if media.get("filename"):
        return str(media["filename"])
    ext = mimetypes.guess_extension(mime.split(";")[0].strip()) or ""
    return f"whatsapp-{kind}-{media.get('id', '')}{ext}"


def _text_of(item: dict[str, Any], lang: str) -> str:
    kind = item.get("type")
    if kind == "text":
        return str((item.get("text") or {}).get("body", ""))
    if kind == "interactive":  # a reply button or list row the citizen tapped
        reply = item["interactive"].get(item["interactive"].get("type", ""), {})
        return str(reply.get("title", ""))
    if kind == "button":  # a quick-reply button of a template
        return str((item.get("button") or {}).get("text", ""))
    if kind == "location":
        loc = item["location"]
        lat, lon = f"{float(loc['latitude']):.5f}", f"{float(loc['longitude']):.5f}"
        place = " ".join(str(loc[k]) for k in ("name", "address") if loc.get(k))
        line = t("whatsapp.location_value", lang, lat=lat, lon=lon)
        return f"{place}\n{line}" if place else line
    if kind == "contacts":
        lines = []
        for card in item.get("contacts") or []:
            name = (card.get("name") or {}).get("formatted_name", "")
            phones = ", ".join(p.get("phone", "") for p in card.get("phones") or [])
            lines.append(t("whatsapp.contact_value", lang, name=name, phones=phones))
        return "\n".join(lines)
    if kind in MEDIA_KINDS:
        return str((item.get(kind) or {}).get("caption", ""))
    return ""


async def content_of(item: dict[str, Any], graph: GraphClient, limit: int, lang: str) -> Content:
    """The text and files of `item`; media is downloaded through the media endpoint (a file
    over `limit` is named in `rejected`, not fetched whole). Transport faults raise
    GraphError: the inbox tries again later."""
    text = _text_of(item, lang)
    kind = str(item.get("type"))
    if kind not in MEDIA_KINDS or kind == "sticker":
        return Content(text)
    media = item.get(kind) or {}
    mime = str(media.get("mime_type") or "application/octet-stream")
    name = _filename(kind, media, mime)
    try:
        data, mime = await graph.download(str(media["id"]), limit)
    except MediaTooLarge:
        return Content(text, rejected=(name,))
    except GraphError as exc:
        if exc.code == 0 or exc.http_status >= 500:
            raise  # the network or Meta in trouble: the inbox tries again later
        # WhatsApp refused the media for good (e.g. expired, deleted): the message is still
        # kept, saying which file is missing, rather than dead-lettered whole.
        log.warning("WhatsApp media %s refused (%d); message kept without it", media.get("id"),
                    exc.code)  # fmt: skip
        note = t("whatsapp.attachment_unavailable", lang, filename=name)
        return Content("\n".join(p for p in (text, note) if p))
    return Content(text, (FileData(name, mime, data),))


async def handle_message(
    services: Services,
    graph: GraphClient,
    conversation: Conversation,
    item: dict[str, Any],
    contact: dict[str, Any] | None,
) -> IntakeResult | None:
    """Hand one stored message to its journey (None) or to intake, queueing the citizen's
    answer once (a re-run after a crash finds the message and the answer by their keys and
    changes nothing)."""
    settings = services.settings
    sender = address_of(str(item["from"]))
    name = ((contact or {}).get("profile") or {}).get("name")
    async with services.db.session() as session:
        requester = await find_requester(session, ContactKind.PHONE, sender)
        cases = await cases_of_contact(session, ContactKind.PHONE, sender, open_only=True)
    lang = (cases[0].language if cases else None) or (
        requester.language if requester else settings.language
    )
    draft = await conversation.draft(sender, lang)
    lang = draft.language  # the language the citizen chose in the conversation, if they did
    kind = str(item.get("type"))
    readable = kind in READABLE
    content = (
        await content_of(item, graph, settings.attachment_max_bytes, lang)
        if readable
        else (Content(""))
    )
    text = content.text
    # the files go to the blob store before intake (it takes them stored); too large: named
    stored, too_large = store_files(services.blobs, content.attachments)
    rejected = (*content.rejected, *too_large)
    if rejected:
        text = "\n".join(p for p in (text, rejected_attachments_note(rejected, lang,
                                                                      settings)) if p)  # fmt: skip
    if readable and not text.strip() and not content.attachments:
        readable = False  # e.g. a sticker: nothing an officer could read
    if readable and await conversation.converse(item, draft, text, stored):
        return None
    msg = InboundMessage(
        channel=Channel.WHATSAPP,
        external_id=str(item["id"]),
        sender=sender,
        sender_name=name,
        text=text,
        received_at=received_at(item, services.clock.now()),
        attachments=stored,
        rejected_attachments=rejected,
        case_reference=cases[0].reference if cases and readable else None,
        new_case_kind=(
            CaseKind(settings.whatsapp_default_kind) if readable and not cases else None
        ),
        language=lang,
        meta={"whatsapp_type": kind},
    )
    now = services.clock.now()

    async def answer_in_chat(session: AsyncSession, result: IntakeResult) -> None:
        """In intake's transaction: reopen the window's pending full texts, answer in chat."""
        await full_text_after_reply(session, sender, now)  # the window is open again
        answer = None
        if not readable:
            answer = t("whatsapp.unsupported", lang, kind=kind)
        elif cases:
            answer = t("whatsapp.inbox.added", lang, reference=result.case_reference)
        if answer is not None:
            await enqueue(
                session,
                dedup_key=f"wa-reply:{item['id']}",
                channel=Channel.WHATSAPP.value,
                recipient=sender,
                purpose=Purpose.CHAT_REPLY,
                body=answer,
                case_id=None,
                now=now,
                payload={"reply_to": str(item["id"])},
            )

    return await services.intake.handle_inbound(msg, record=answer_in_chat)
