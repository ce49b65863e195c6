"""The WhatsApp renderer: how an outbox row reads on WhatsApp (bot/notify/delivery.py Renderer).

Every row is rendered twice over, and the stored time of the citizen's last inbound message
picks which goes (WhatsApp Business Messaging Policy, the 24-hour customer-service window):

- free-form, inside the window: the neutral message's text cut into messages of at most 4,096
  characters at line ends (the first one quoting the message it answers); choices offered
  with it as reply buttons (at most 3, titles up to 20 characters) or a list (at most 10
  rows, titles up to 24): a rating request's 1-5, the survey's first question after a survey
  invitation, an officer card's steps; then its files and letters (PDF, rendered now) as
  document messages, uploaded through the media endpoint by the sender; a lone file under a
  short text carries the text as its caption;
- its approved template (templates.py, chosen by purpose), outside the window, or when the
  Cloud API refused the free form because the window had closed after all (131047): a letter
  rides in the template's document header, everything else follows in full once the
  citizen writes again (sender.full_text_after_reply).

Rows queued before the neutral format (an acknowledgement queued by intake's answers, a chat
reply: `reply_to`/`in_reply_to`, `attachments`, `letters`) are read by `legacy_message`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.attachments import FileData
from bot.i18n import catalogue, t
from bot.intake.inbox import DEAD, DONE, PENDING
from bot.notify.delivery import PermanentFailure
from bot.notify.message import OutboundMessage, is_neutral, read_message, text_pieces
from bot.notify.outgoing_files import outgoing_files_of
from bot.notify.purposes import Purpose
from bot.services import Services
from bot.workflow.survey import MAX_SCORE, MIN_SCORE, SURVEY_ELEMENTS, element_label, score_label
from channels.whatsapp.templates import Template, parameter_values, template_for
from store.enums import Channel, Direction
from store.models import Case, InboundUpdate, Message, OutboxMessage

TEXT_LIMIT = 4096  # characters of a text message
CAPTION_LIMIT = 1024  # of a document's caption
BODY_LIMIT = 1024  # of an interactive message's body
MAX_BUTTONS, BUTTON_TITLE_LIMIT = 3, 20
MAX_ROWS, ROW_TITLE_LIMIT, ROW_DESCRIPTION_LIMIT = 10, 24, 72
PARAM_LIMIT = 200  # characters per template parameter (Meta: no newlines, no 4+ spaces)
WINDOW = dt.timedelta(hours=24)
# Sent a little before the window closes, or the message may arrive after it did.
WINDOW_MARGIN = dt.timedelta(minutes=10)
INBOX_STATES = (PENDING, DONE, DEAD)
TEMPLATE_FLAG = "whatsapp_template"  # set by statuses.py: the free form failed for the window


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


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters (an ellipsis marks a cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def last_inbound_at(session: AsyncSession, address: str) -> dt.datetime | None:
    """When the citizen at `address` last wrote to us on WhatsApp, in UTC: the later of the
    last message intake stored and the last update the webhook stored in the inbox (a tap
    inside a form opens the window too, though it is not stored as a case message)."""
    stored = select(func.max(Message.created_at)).where(
        Message.channel == Channel.WHATSAPP.value,
        Message.direction == Direction.INBOUND.value,
        Message.sender == address,
    )
    # the inbox's own index (channel, state, lane, ...) finds the lane's few rows
    received = select(func.max(InboundUpdate.received_at)).where(
        InboundUpdate.channel == Channel.WHATSAPP.value,
        col(InboundUpdate.state).in_(INBOX_STATES),
        InboundUpdate.lane == f"wa:{address.strip().removeprefix('+')}",
    )
    times = [(await session.exec(stmt)).one() for stmt in (stored, received)]
    known = [at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at for at in times if at]
    return max(known, default=None)


def window_open(last: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a free-form message sent `now` still falls inside the window (with a margin)."""
    return last is not None and now - last < WINDOW - WINDOW_MARGIN


@dataclass(frozen=True)
class Choice:
    """One reply button or list row: the id the citizen's tap comes back with, and its title."""

    id: str
    title: str


@dataclass(frozen=True)
class WaPart:
    """One /messages call (`body` without `to`); a `document` is uploaded first and its media
    id goes into the body (a document message's, or a template's document header)."""

    body: dict[str, Any]
    document: FileData | None = None


@dataclass(frozen=True)
class WhatsAppRendering:
    """A row on WhatsApp: the number, its free form, its template, and which one goes."""

    to: str
    parts: tuple[WaPart, ...]
    template: WaPart
    as_template: bool
    case_id: int | None


def legacy_message(row: OutboxMessage, language: str) -> OutboundMessage:
    """A row in an older payload shape (intake's acknowledgement, a chat reply), as neutral."""
    payload = row.payload or {}
    reply_to = payload.get("reply_to") or payload.get("in_reply_to")
    return OutboundMessage(
        text=row.body,
        language=language,
        subject=row.subject,
        case_id=payload.get("case_id") or row.case_id,
        attachments=tuple(payload.get("attachments") or ()),
        letters=tuple(payload.get("letters") or ()),
        in_reply_to=str(reply_to) if reply_to else None,
    )


def interactive(text: str, choices: list[Choice], language: str) -> dict[str, Any]:
    """An interactive message: reply buttons for up to 3 choices, else a list (up to 10)."""
    if len(choices) <= MAX_BUTTONS:
        buttons = [
            {"type": "reply", "reply": {"id": c.id, "title": cut(c.title, BUTTON_TITLE_LIMIT)}}
            for c in choices
        ]
        action: dict[str, Any] = {"buttons": buttons}
        kind = "button"
    else:
        rows = []
        for c in choices[:MAX_ROWS]:
            row = {"id": c.id, "title": cut(c.title, ROW_TITLE_LIMIT)}
            if len(c.title) > ROW_TITLE_LIMIT:
                row["description"] = cut(c.title, ROW_DESCRIPTION_LIMIT)
            rows.append(row)
        action = {"button": cut(t("whatsapp.choose", language), BUTTON_TITLE_LIMIT),
                  "sections": [{"rows": rows}]}  # fmt: skip
        kind = "list"
    body = {"type": kind, "body": {"text": cut(text, BODY_LIMIT)}, "action": action}
    return {"type": "interactive", "interactive": body}


def survey_question(case_id: int, element: int, reference: str, language: str) -> dict[str, Any]:
    """Survey element `element` (1-based) as a list of its scores (ids as Telegram's data)."""
    text = t("tg.survey.question", language, n=element, total=len(SURVEY_ELEMENTS),
             label=element_label(element, language), reference=reference)  # fmt: skip
    choices = [
        Choice(f"sv:{case_id}:{element}:{s}", f"{s} · {score_label(s, language)}")
        for s in range(MIN_SCORE, MAX_SCORE + 1)
    ]
    return interactive(text, choices, language)


def choices_of(purpose: str, message: OutboundMessage, case: Case | None) -> list[Choice]:
    """What the citizen (or officer) may tap under this message."""
    if case is None:
        return []
    lang = message.language
    if message.actions:  # an officer card's steps
        known = catalogue(lang)
        return [
            Choice(f"a:{a}:{case.id}", known.get(f"tg.desk.btn.{a}", a)) for a in message.actions
        ]
    if purpose == Purpose.RATING_REQUEST:
        return [
            Choice(f"rt:{case.id}:{n}", f"{n} · {t(f'annual.rating.score.{n}', lang)}")
            for n in range(1, 6)
        ]
    return []


# What a chat reader is asked to do under an invitation, by purpose (as on Telegram).
HOW_TO_ANSWER = {
    Purpose.SURVEY_INVITATION: "sched.requester.survey_invite",
    Purpose.RATING_REQUEST: "whatsapp.how_pick",
}


def layout(
    text: str, files: list[FileData], choices: list[Choice], reply_to: str | None, lang: str
) -> list[WaPart]:
    """The free-form parts of one message, per the module docstring."""
    context = {"context": {"message_id": reply_to}} if reply_to else {}
    if len(files) == 1 and not choices and len(text) <= CAPTION_LIMIT:
        doc = {"filename": files[0].filename, "caption": text}
        return [WaPart({"type": "document", "document": doc, **context}, files[0])]
    parts: list[WaPart] = []
    if choices and len(text) <= BODY_LIMIT:
        parts.append(WaPart({**interactive(text, choices, lang), **context}))
    else:
        for i, piece in enumerate(text_pieces(text, TEXT_LIMIT)):
            threaded = context if i == 0 else {}
            parts.append(WaPart({"type": "text", "text": {"body": piece}, **threaded}))
        if choices:
            parts.append(WaPart(interactive(t("whatsapp.how_pick", lang), choices, lang)))
    for file in files:
        parts.append(WaPart({"type": "document", "document": {"filename": file.filename}}, file))
    return parts


def template_part(
    template: Template, name: str, code: str, values: list[str], file: FileData | None
) -> WaPart:
    """The /messages body of `template` with its parameters (and its document header)."""
    components: list[dict[str, Any]] = []
    if template.document and file is not None:
        header = {"type": "document", "document": {"filename": file.filename}}
        components.append({"type": "header", "parameters": [header]})
    body = [{"type": "text", "text": template_parameter(v)} for v in values]
    components.append({"type": "body", "parameters": body})
    message = {"name": name, "language": {"code": code}, "components": components}
    return WaPart({"type": "template", "template": message},
                  file if template.document else None)  # fmt: skip


class WhatsAppRenderer:
    """Renders outbox rows of the `whatsapp` channel."""

    channel = Channel.WHATSAPP.value

    def __init__(self, services: Services) -> None:
        self.services = services

    async def render(self, message: OutboxMessage) -> WhatsAppRendering:
        """The free form and the template of `message`, and which one the window allows."""
        s = self.services
        to = wa_number(message.recipient)
        async with s.db.session() as session:
            case = await session.get(Case, message.case_id) if message.case_id else None
            last = await last_inbound_at(session, message.recipient)
        if is_neutral(message):
            neutral = read_message(message)
        else:
            neutral = legacy_message(message, (case.language if case else None)
                                     or s.settings.language)  # fmt: skip
        files = await outgoing_files_of(s.db, s.blobs, s.settings, message)
        how = HOW_TO_ANSWER.get(message.purpose) if is_neutral(message) else None
        text = neutral.text if how is None else f"{neutral.text}\n\n{t(how, neutral.language)}"
        reply_to = neutral.in_reply_to if (neutral.in_reply_to or "").startswith("wamid.") else None
        parts = layout(text, files, choices_of(message.purpose, neutral, case), reply_to,
                       neutral.language)  # fmt: skip
        if message.purpose == Purpose.SURVEY_INVITATION and case is not None:
            parts.append(WaPart(survey_question(case.id, 1, case.reference, neutral.language)))  # type: ignore[arg-type]
        forced = bool((message.payload or {}).get(TEMPLATE_FLAG))
        return WhatsAppRendering(
            to=to,
            parts=tuple(parts),
            template=self.template(message, neutral, case, files),
            as_template=forced or not window_open(last, s.clock.now()),
            case_id=case.id if case else None,
        )

    def template(
        self, row: OutboxMessage, message: OutboundMessage, case: Case | None, files: list[FileData]
    ) -> WaPart:
        """The row as its approved template in the message's language."""
        settings = self.services.settings
        chosen = template_for(row.purpose, message, bool(files))
        code = (
            settings.whatsapp_template_language_en
            if message.language == "en"
            else settings.whatsapp_template_language_id
        )
        values = parameter_values(chosen, message, reference=case.reference if case else None,
                                  subject=row.subject, settings=settings)  # fmt: skip
        return template_part(
            chosen, chosen.whatsapp_name(settings), code, values, files[0] if files else None
        )
