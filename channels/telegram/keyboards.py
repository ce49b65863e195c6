"""Inline keyboards and the callback data their buttons carry (at most 64 bytes each).

Callback data is `prefix:arg:arg`; each handler module owns its prefixes (listed here so they
never collide). Every tap is read back by one validating decoder, `decode`: data this bot
would not have made (an old version's, a forged or oversized one) is a StaleButton, never a
crash. Decoding checks only the shape; whether the person may do what the button says is
checked again on the server side by each handler (bot.desk.authz, case ownership).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.desk.steps import DISPUTE_CODES
from bot.i18n import t
from bot.intake.forms import CLEAR_FILES, FORMS, Form, FormField, choice_label
from bot.notify.officer_cards import BUTTON_ORDER
from bot.workflow.objections import PASAL_35_GROUNDS
from bot.workflow.requests import PASAL_17_GROUNDS
from bot.workflow.survey import MAX_SCORE, MIN_SCORE, SURVEY_ELEMENTS, score_label
from store.enums import AtasanDecision, Channel, Decision

MENU_ITEMS = ("request", "complaint", "status", "objection", "help")

# prefixes
MENU, LANG, FORM_CHOICE, SUMMARY_EDIT, SUBMIT, CANCEL = "m", "l", "f", "e", "ok", "x"
PICK_CASE, OBJ_CASE, OBJ_GROUND, OBJ_SEND = "k", "o", "og", "os"
DESK, DISPOSE_TO, DECIDE, REFUSE_GROUND, ANSWER, BACK = "a", "du", "dd", "dg", "aa", "ab"
SURVEY, REGISTER_KIND, REGISTER_CHANNEL = "sv", "ck", "cc"
REPLY_CONFIRM, RATING, DISPUTE_STEP = "rp", "rt", "ds"
# Card buttons whose label lives in another area's catalogue file.
BUTTON_LABELS = {"dispute": "annual.btn.dispute"}

DECISIONS = tuple(d.value for d in Decision)
ATASAN_DECISIONS = tuple(d.value for d in AtasanDecision)
# How a request can reach the desk other than by the citizen's own Telegram chat.
DESK_INTAKE_CHANNELS = tuple(
    c.value
    for c in (Channel.BUKU_TAMU, Channel.SURAT, Channel.TELEPON, Channel.WHATSAPP, Channel.EMAIL)
)


def data(*parts: object) -> str:
    """Callback data from parts."""
    value = ":".join(str(p) for p in parts)
    if len(value.encode()) > 64:
        raise ValueError(f"callback data too long: {value!r}")
    return value


MAX_DATA_BYTES = 64  # Telegram's limit for callback data
_WORD = re.compile(r"[a-z0-9_]{1,32}")
_ID_DIGITS = 18  # a database id fits a signed 64-bit integer


class StaleButton(Exception):
    """Callback data this bot would not have made: an old keyboard's, malformed or forged."""


@dataclass(frozen=True)
class Button:
    """A decoded tap: its prefix and its arguments, each checked and converted."""

    prefix: str
    args: tuple[object, ...]


Part = Callable[[str], object]


def _canonical_number(value: str) -> int:
    """The number `str(n)` wrote: ASCII digits, no sign, no leading zero (ValueError else)."""
    if not (value.isascii() and value.isdigit() and str(int(value)) == value):
        raise ValueError(value)
    return int(value)


def _id(value: str) -> int:
    if len(value) > _ID_DIGITS or _canonical_number(value) == 0:
        raise ValueError(value)
    return int(value)


def _word(value: str) -> str:
    if not _WORD.fullmatch(value):
        raise ValueError(value)
    return value


def _one_of(*allowed: str) -> Part:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(value)
        return value

    return check


def _number(low: int, high: int) -> Part:
    def check(value: str) -> int:
        if len(value) > len(str(high)) or not low <= _canonical_number(value) <= high:
            raise ValueError(value)
        return int(value)

    return check


_FIELD_KEYS = tuple({f.key for form in FORMS.values() for f in form.fields})
# What each prefix carries after it; a choice's value is checked again by its form.
_SCHEMA: dict[str, tuple[Part, ...]] = {
    MENU: (_one_of(*MENU_ITEMS),),
    LANG: (_one_of("id", "en"),),
    CANCEL: (),
    FORM_CHOICE: (_one_of(*_FIELD_KEYS), _word),
    SUMMARY_EDIT: (_one_of(*_FIELD_KEYS),),
    SUBMIT: (),
    PICK_CASE: (_id,),
    OBJ_CASE: (_id,),
    OBJ_GROUND: (_one_of(*PASAL_35_GROUNDS),),
    OBJ_SEND: (_one_of("go"),),
    DESK: (_one_of(*BUTTON_ORDER), _id),
    DISPOSE_TO: (_id, _id),
    DECIDE: (_id, _one_of(*DECISIONS)),
    REFUSE_GROUND: (_id, _one_of(*PASAL_17_GROUNDS)),
    ANSWER: (_id, _one_of(*ATASAN_DECISIONS)),
    BACK: (_id,),
    REGISTER_KIND: (_one_of(*FORMS),),
    REGISTER_CHANNEL: (_one_of(*DESK_INTAKE_CHANNELS),),
    SURVEY: (_id, _number(1, len(SURVEY_ELEMENTS)), _number(MIN_SCORE, MAX_SCORE)),
    REPLY_CONFIRM: (_id, _one_of("s", "n", "x")),
    RATING: (_id, _number(1, 5)),
    DISPUTE_STEP: (_id, _one_of(*DISPUTE_CODES)),
}
PREFIXES = tuple(_SCHEMA)


def decode(value: str | None) -> Button:
    """The tap's prefix and checked arguments; StaleButton for anything `data` would not make."""
    if value is None or len(value.encode("utf-8", "surrogatepass")) > MAX_DATA_BYTES:
        raise StaleButton("missing or oversized callback data")
    prefix, *raw = value.split(":")
    schema = _SCHEMA.get(prefix)
    if schema is None or len(raw) != len(schema):
        raise StaleButton(f"unknown callback data {value[:MAX_DATA_BYTES]!r}")
    try:
        return Button(prefix, tuple(part(arg) for part, arg in zip(schema, raw, strict=True)))
    except ValueError:
        raise StaleButton(f"malformed callback data {value!r}") from None


def _button(label: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data(*parts))


def _rows(
    buttons: Sequence[InlineKeyboardButton], per_row: int
) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def menu(language: str) -> InlineKeyboardMarkup:
    """The citizen's main menu, plus the language switch."""
    rows = [[_button(t(f"tg.menu.{item}", language), MENU, item)] for item in MENU_ITEMS]
    other = "en" if language == "id" else "id"
    rows.append([_button(t("tg.menu.language", language), LANG, other)])
    return InlineKeyboardMarkup(rows)


def cancel_only(language: str) -> InlineKeyboardMarkup:
    """Just a cancel button."""
    return InlineKeyboardMarkup([[_button(t("tg.btn.cancel", language), CANCEL)]])


def field_keyboard(f: FormField, language: str, *, has_files: bool = False) -> InlineKeyboardMarkup:
    """Buttons for a form step: its choices; for files "skip" (no file yet) or "done", and
    "remove all" once there are files; cancel."""
    rows: list[list[InlineKeyboardButton]] = []
    if f.kind in ("choice", "yesno", "date"):
        buttons = [_button(choice_label(f, c, language), FORM_CHOICE, f.key, c) for c in f.choices]
        rows += _rows(buttons, 1 if f.kind == "choice" else 2)
    if f.kind == "files":
        label = "tg.btn.skip" if f.skippable and not has_files else "tg.btn.done"
        rows.append([_button(t(label, language), FORM_CHOICE, f.key, "done")])
        if has_files:
            remove = t("tg.btn.remove_files", language)
            rows.append([_button(remove, FORM_CHOICE, f.key, CLEAR_FILES)])
    rows.append([_button(t("tg.btn.cancel", language), CANCEL)])
    return InlineKeyboardMarkup(rows)


def summary_keyboard(form: Form, language: str) -> InlineKeyboardMarkup:
    """Submit, one edit button per field, cancel."""
    edits = [
        _button("✏️ " + t(f"form.field.{f.key}", language), SUMMARY_EDIT, f.key)
        for f in form.fields
        if f.in_summary
    ]
    rows = [[_button(t("tg.btn.submit", language), SUBMIT)], *_rows(edits, 2)]
    rows.append([_button(t("tg.btn.cancel", language), CANCEL)])
    return InlineKeyboardMarkup(rows)


def choose(
    prefix: str, items: Iterable[tuple[str, object]], language: str, per_row: int = 1
) -> InlineKeyboardMarkup:
    """One button per (label, argument) with `prefix`, then cancel."""
    buttons = [_button(label, prefix, arg) for label, arg in items]
    return InlineKeyboardMarkup(
        [*_rows(buttons, per_row), [_button(t("tg.btn.cancel", language), CANCEL)]]
    )


def desk_actions(
    case_id: int, actions: Sequence[str], language: str
) -> InlineKeyboardMarkup | None:
    """A card's buttons; actions without a label (another module's) are left out."""
    known = [a for a in actions if a in BUTTON_ORDER]
    if not known:
        return None
    buttons = [
        _button(t(BUTTON_LABELS.get(a, f"tg.desk.btn.{a}"), language), DESK, a, case_id)
        for a in known
    ]
    return InlineKeyboardMarkup(_rows(buttons, 2))


def back(case_id: int, language: str) -> list[InlineKeyboardButton]:
    """A "back to the card" row."""
    return [_button(t("tg.desk.btn.back", language), BACK, case_id)]


def units(
    case_id: int, unit_list: Sequence[tuple[int, str]], language: str
) -> InlineKeyboardMarkup:
    """One button per unit to dispose the case to."""
    buttons = [_button(name[:40], DISPOSE_TO, case_id, unit_id) for unit_id, name in unit_list]
    return InlineKeyboardMarkup([*_rows(buttons, 1), back(case_id, language)])


def decisions(case_id: int, language: str) -> InlineKeyboardMarkup:
    """The five decisions of UU KIP Pasal 22(7)."""
    buttons = [_button(t(f"tg.desk.decision.{d}", language), DECIDE, case_id, d) for d in DECISIONS]
    return InlineKeyboardMarkup([*_rows(buttons, 1), back(case_id, language)])


def refusal_grounds(case_id: int, language: str) -> InlineKeyboardMarkup:
    """Pasal 17 letters a-j."""
    buttons = [_button(f"17 {g}", REFUSE_GROUND, case_id, g) for g in PASAL_17_GROUNDS]
    return InlineKeyboardMarkup([*_rows(buttons, 5), back(case_id, language)])


def atasan_answers(case_id: int, language: str) -> InlineKeyboardMarkup:
    """Uphold the PPID or accept the objection (Pasal 36)."""
    buttons = [
        _button(t(f"tg.desk.answer.{d}", language), ANSWER, case_id, d) for d in ATASAN_DECISIONS
    ]
    return InlineKeyboardMarkup([*_rows(buttons, 1), back(case_id, language)])


def survey(case_id: int, element: int, language: str) -> InlineKeyboardMarkup:
    """Scores 1-4 for one survey element."""
    buttons = [
        _button(f"{s} · {score_label(s, language)}", SURVEY, case_id, element, s)
        for s in range(MIN_SCORE, MAX_SCORE + 1)
    ]
    return InlineKeyboardMarkup(_rows(buttons, 2))


def reply_confirm(reply_id: int, language: str) -> InlineKeyboardMarkup:
    """Send a held reply to the requester, keep it as an internal note, or drop it."""
    rows = [
        [_button(t("annual.reply.btn.send", language), REPLY_CONFIRM, reply_id, "s")],
        [
            _button(t("annual.reply.btn.note", language), REPLY_CONFIRM, reply_id, "n"),
            _button(t("annual.reply.btn.drop", language), REPLY_CONFIRM, reply_id, "x"),
        ],
    ]
    return InlineKeyboardMarkup(rows)


def dispute_steps(case_id: int, steps: Sequence[str], language: str) -> InlineKeyboardMarkup:
    """The Komisi Informasi and court steps that can be recorded now (codes of DISPUTE_CODES)."""
    buttons = [
        _button(t(f"annual.dispute.btn.{code}", language), DISPUTE_STEP, case_id, code)
        for code in steps
    ]
    return InlineKeyboardMarkup([*_rows(buttons, 1), back(case_id, language)])


def rating(case_id: int, language: str) -> InlineKeyboardMarkup:
    """The complainant's rating of the follow-up, 1 (very poor) to 5 (very good)."""
    buttons = [
        _button(f"{n} · {t(f'annual.rating.score.{n}', language)}", RATING, case_id, n)
        for n in range(1, 6)
    ]
    return InlineKeyboardMarkup(_rows(buttons, 1))
