"""The channel-neutral outbound message: what the core stores in an outbox row's payload.

The core says *what* to tell (a catalogue key and its parameters, the text they read as in the
recipient's language, the actions offered, the files and letters that go with it, the message
it answers); each channel's renderer says *how* when it sends (bot/notify/delivery.py): email
builds a mail with the case's signed Reply-To, a chat app chunks the text and turns the actions
into buttons, WhatsApp may send a template of the same key and parameters outside its
24-hour window. Rows queued before this format (a channel's own payload shape) are read by
that channel's renderer (`legacy_message` there).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from store.models import OutboxMessage

FORMAT = "neutral/1"  # `payload["format"]` of a row written by bot.notify.outbox.notify

Param = str | int | float | bool | None


def plain_params(params: Mapping[str, Any]) -> dict[str, Param]:
    """`params` as JSON values: dates in ISO form, anything else not plain as its text."""
    plain: dict[str, Param] = {}
    for name, value in params.items():
        if isinstance(value, (dt.date, dt.datetime)):
            plain[name] = value.isoformat()
        elif value is None or isinstance(value, (str, int, float, bool)):
            plain[name] = value
        else:
            plain[name] = str(value)
    return plain


@dataclass(frozen=True)
class OutboundMessage:
    """One message as the core means it, before any channel has rendered it.

    `text` is the message in `language`, composed from the catalogue (`key` with `params`
    is its headline, what a template-only channel sends). `actions` are the steps offered
    (names of bot.notify.officer_cards.BUTTON_ORDER); `attachments` SHA-256 digests of stored
    files; `letters` kinds of bot.letters rendered to PDF at send time; `in_reply_to` the
    recipient channel's id of the message this answers; `reply_case` the reference a reply
    reaches; `automatic` whether a person wrote it (RFC 3834: machine mail says so).
    """

    text: str
    language: str
    subject: str | None = None
    key: str | None = None
    params: Mapping[str, Param] = field(default_factory=dict)
    case_id: int | None = None
    reply_case: str | None = None
    actions: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()
    letters: tuple[str, ...] = ()
    in_reply_to: str | None = None
    automatic: bool = True

    def payload(self) -> dict[str, Any]:
        """The row's payload (text and subject go to their own columns)."""
        return {
            "format": FORMAT,
            "key": self.key,
            "params": dict(self.params),
            "language": self.language,
            "case_id": self.case_id,
            "reply_case": self.reply_case,
            "actions": list(self.actions),
            "attachments": list(self.attachments),
            "letters": list(self.letters),
            "in_reply_to": self.in_reply_to,
            "automatic": self.automatic,
        }


def is_neutral(row: OutboxMessage) -> bool:
    """True if `row` was written in the neutral format (not a channel's own older shape)."""
    return (row.payload or {}).get("format") == FORMAT


def read_message(row: OutboxMessage) -> OutboundMessage:
    """The neutral message stored in `row`; ValueError if it is in a channel's older shape."""
    if not is_neutral(row):
        raise ValueError(f"outbox row {row.id} is not in the {FORMAT} format")
    p = row.payload
    return OutboundMessage(
        text=row.body,
        language=str(p.get("language") or "id"),
        subject=row.subject,
        key=p.get("key"),
        params=dict(p.get("params") or {}),
        case_id=p.get("case_id") if p.get("case_id") is not None else row.case_id,
        reply_case=p.get("reply_case"),
        actions=tuple(p.get("actions") or ()),
        attachments=tuple(p.get("attachments") or ()),
        letters=tuple(p.get("letters") or ()),
        in_reply_to=p.get("in_reply_to"),
        automatic=bool(p.get("automatic", True)),
    )


def text_pieces(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters (a chat app's message limit), cut at
    line ends where possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*pieces, text]
