"""The Telegram renderer: how an outbox row reads in a chat (bot/notify/delivery.py Renderer).

The neutral message's text is cut into messages of at most 4,096 characters at line ends;
its offered actions become the card's inline buttons (a case card and a relay show the steps
its readers may take, in the body's language); a rating request says to tap and offers the
1-5 rating; a survey invitation asks for a minute and is followed by the survey's first
question; stored files and letters
(rendered to PDF now) follow as documents, or a lone file carries a short text as its caption.
Rows queued before the neutral format keep Telegram's older payload shape
(`actions`, `case_id`, `reply_to`, `attachments`, `letters`) and are read by `legacy_message`.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, ReplyParameters

from bot.cases.attachments import FileData
from bot.i18n import t
from bot.notify.delivery import PermanentFailure
from bot.notify.message import OutboundMessage, is_neutral, read_message, text_pieces
from bot.notify.outgoing_files import outgoing_files_of
from bot.notify.purposes import Purpose
from bot.services import Services
from bot.workflow.survey import SURVEY_ELEMENTS, element_label
from channels.telegram import keyboards
from store.enums import Channel
from store.models import Case, OutboxMessage

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096  # characters per Telegram message


def survey_question(case: Case, element: int) -> tuple[str, InlineKeyboardMarkup]:
    """The text and 1-4 buttons of survey element `element` (1-based) for `case`."""
    lang = case.language
    text = t(
        "tg.survey.question",
        lang,
        n=element,
        total=len(SURVEY_ELEMENTS),
        label=element_label(element, lang),
        reference=case.reference,
    )
    return text, keyboards.survey(case.id, element, lang)  # type: ignore[arg-type]


@dataclass(frozen=True)
class TelegramPart:
    """One Bot API call: a text message, or a document (with `text` as its caption)."""

    text: str | None
    document: FileData | None = None
    markup: InlineKeyboardMarkup | None = None
    reply: ReplyParameters | None = None


@dataclass(frozen=True)
class TelegramRendering:
    """A row as Telegram messages: the chat, the parts in order, the case they belong to."""

    chat_id: int
    parts: tuple[TelegramPart, ...]
    case_id: int | None


def legacy_message(row: OutboxMessage) -> OutboundMessage:
    """A row in Telegram's payload shape from before the neutral format, as a neutral message."""
    payload = row.payload or {}
    reply_to = payload.get("reply_to")
    return OutboundMessage(
        text=row.body,
        language="id",  # unused here: buttons follow the body's or the case's language
        subject=row.subject,
        case_id=payload.get("case_id") or row.case_id,
        actions=tuple(payload.get("actions") or ()),
        attachments=tuple(payload.get("attachments") or ()),
        letters=tuple(payload.get("letters") or ()),
        in_reply_to=str(reply_to) if reply_to else None,
    )


def layout(
    text: str,
    files: list[FileData],
    markup: InlineKeyboardMarkup | None,
    reply: ReplyParameters | None,
) -> list[TelegramPart]:
    """The parts of one message: a lone file with a short text as a captioned document; else
    the text in chunks (buttons under the last, the first threaded) and then the files."""
    if len(files) == 1 and len(text) <= CAPTION_LIMIT:
        return [TelegramPart(text, files[0], markup, reply)]
    pieces = text_pieces(text, TEXT_LIMIT)
    parts = [
        TelegramPart(
            piece,
            markup=markup if i == len(pieces) - 1 else None,
            reply=reply if i == 0 else None,
        )
        for i, piece in enumerate(pieces)
    ]
    return parts + [TelegramPart(None, file) for file in files]


# What a chat reader is asked to do under an invitation, by purpose (the email renderer asks
# for a reply instead).
HOW_TO_ANSWER: dict[str, str] = {
    Purpose.SURVEY_INVITATION: "sched.requester.survey_invite",
    Purpose.RATING_REQUEST: "annual.rating.how_tap",
}


def chat_text(message: OutboxMessage, neutral: OutboundMessage) -> str:
    """The text in the chat: the message, then how to answer it here. A row queued before the
    neutral format already says how (it was written for Telegram)."""
    how = HOW_TO_ANSWER.get(message.purpose) if is_neutral(message) else None
    return neutral.text if how is None else f"{neutral.text}\n\n{t(how, neutral.language)}"


class TelegramRenderer:
    """Renders outbox rows of the `telegram` channel."""

    channel = Channel.TELEGRAM.value

    def __init__(self, services: Services) -> None:
        self.services = services

    async def render(self, message: OutboxMessage) -> TelegramRendering:
        """The Bot API calls that deliver `message`, per the module docstring."""
        neutral = read_message(message) if is_neutral(message) else legacy_message(message)
        try:
            chat_id = int(message.recipient)
        except ValueError:
            raise PermanentFailure(f"not a Telegram chat id: {message.recipient!r}") from None
        case = await self._case(neutral.case_id)
        markup = self._markup(message.purpose, neutral, case)
        reply = (
            ReplyParameters(int(neutral.in_reply_to), allow_sending_without_reply=True)
            if neutral.in_reply_to and neutral.in_reply_to.isdigit()
            else None
        )
        s = self.services
        files = await outgoing_files_of(s.db, s.blobs, s.settings, message)
        parts = layout(chat_text(message, neutral), files, markup, reply)
        if message.purpose == Purpose.SURVEY_INVITATION and case is not None:
            text, survey_markup = survey_question(case, 1)
            parts.append(TelegramPart(text, markup=survey_markup))
        return TelegramRendering(chat_id, tuple(parts), case.id if case else None)

    def _markup(
        self, purpose: str, message: OutboundMessage, case: Case | None
    ) -> InlineKeyboardMarkup | None:
        if case is None:
            return None
        if message.actions:  # a case card or relay: the steps its readers may take
            language = self.services.settings.language
            return keyboards.desk_actions(case.id, message.actions, language)  # type: ignore[arg-type]
        if purpose == Purpose.RATING_REQUEST:
            return keyboards.rating(case.id, case.language)  # type: ignore[arg-type]
        return None

    async def _case(self, case_id: int | None) -> Case | None:
        if not case_id:
            return None
        async with self.services.db.session() as session:
            return await session.get(Case, int(case_id))
