"""One turn of a WhatsApp conversation: the stored draft, and the answers sent in the chat,
shaped to WhatsApp's limits.

A choice of at most 3 short options goes as reply buttons (titles of at most 20 characters);
more, or longer, as a list message of at most 10 rows (titles 24, descriptions 72); a longer
set is paged (9 rows and "more"), and every choice can also be typed. A body longer than an
interactive message allows (1,024) goes first as text. Replies within a conversation are sent
at once (the citizen just wrote, so the 24-hour window is open), as Telegram's are; what must
not be lost (the proof of request) goes through the outbox (conversation_forms.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.i18n import t
from bot.intake.drafts import Draft, Drafts
from bot.notify.message import text_pieces
from bot.services import Services
from channels.whatsapp.graph import GraphClient

MAX_BUTTONS, BUTTON_TITLE = 3, 20
MAX_ROWS, ROW_TITLE, ROW_DESCRIPTION = 10, 24, 72
BODY_LIMIT, TEXT_LIMIT, LIST_BUTTON = 1024, 4096, 20
PAGE = "page"  # the argument of a "more" row: `<prefix>:page:<n>`
CANCEL = "x"


def fit(text: str, limit: int) -> str:
    """`text` cut to `limit` characters (with an ellipsis when cut)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Option:
    """One thing the citizen can tap: the reply id we read back, its title, a description."""

    id: str
    title: str
    description: str = ""


def page_of(options: Sequence[Option], prefix: str, number: int, lang: str) -> list[Option]:
    """Page `number` of `options` as list rows: all of them when they fit, else 9 and a row
    `<prefix>:page:<next>` (the last page points back to the first)."""
    if len(options) <= MAX_ROWS:
        return list(options)
    per = MAX_ROWS - 1
    pages = (len(options) + per - 1) // per
    number = number % pages
    following = (number + 1) % pages
    more = Option(f"{prefix}:{PAGE}:{following}", t("whatsapp.btn.more", lang))
    return [*options[number * per : (number + 1) * per], more]


def interactive(to: str, body: str, options: Sequence[Option], lang: str) -> dict[str, Any]:
    """A /messages body offering `options` (at most 10): reply buttons when they fit, else a
    list."""
    assert 1 <= len(options) <= MAX_ROWS, len(options)
    if len(options) <= MAX_BUTTONS and all(len(o.title) <= BUTTON_TITLE for o in options):
        buttons = [{"type": "reply", "reply": {"id": o.id, "title": o.title}} for o in options]
        action: dict[str, Any] = {"buttons": buttons}
        kind = "button"
    else:
        rows = []
        for o in options:
            row = {"id": o.id, "title": fit(o.title, ROW_TITLE)}
            description = o.description or (o.title if len(o.title) > ROW_TITLE else "")
            if description:
                row["description"] = fit(description, ROW_DESCRIPTION)
            rows.append(row)
        label = fit(t("whatsapp.btn.choose", lang), LIST_BUTTON)
        action = {"button": label, "sections": [{"rows": rows}]}
        kind = "list"
    message = {"type": kind, "body": {"text": body}, "action": action}
    return {"to": to, "type": "interactive", "interactive": message}


class Chat:
    """The citizen's conversation while one of their messages is handled."""

    def __init__(
        self, services: Services, graph: GraphClient, drafts: Drafts, draft: Draft, key: str
    ) -> None:
        self.services, self.graph, self.drafts = services, graph, drafts
        self.draft, self.key = draft, key

    @property
    def address(self) -> str:
        """The citizen's number as a contact (`+62...`)."""
        return self.draft.address

    @property
    def lang(self) -> str:
        """The conversation's language."""
        return self.draft.language

    def now(self) -> dt.datetime:
        """The injected clock's now."""
        return self.services.clock.now()

    def today(self) -> dt.date:
        """Today in the body's time zone."""
        return self.now().astimezone(self.services.settings.tz).date()

    async def save(self) -> None:
        """Store the draft, marked as saved while handling this message."""
        await self.drafts.save(self.draft, self.now(), self.key)

    async def say(self, text: str, options: Sequence[Option] = ()) -> None:
        """Send `text`, with `options` to tap when given (a long text goes first on its own)."""
        to = self.address.removeprefix("+")
        if not options:
            for part in text_pieces(text, TEXT_LIMIT):
                await self.graph.send({"to": to, "type": "text", "text": {"body": part}})
            return
        if len(text) > BODY_LIMIT:
            for part in text_pieces(text, TEXT_LIMIT):
                await self.graph.send({"to": to, "type": "text", "text": {"body": part}})
            text = t("whatsapp.choose_below", self.lang)
        await self.graph.send(interactive(to, text, options, self.lang))

    def cancel_option(self) -> Option:
        """The "cancel" tap every flow offers."""
        return Option(CANCEL, t("whatsapp.btn.cancel", self.lang))
