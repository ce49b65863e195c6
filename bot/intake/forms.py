"""Guided forms in chat: the fields of a request (domain.md §2) or complaint (§4), asked one per
message, each answer validated as it comes, then a summary where any field can be changed.

A form is data: its fields, in the order they are asked; what each field is (its kind, the
details it stores, its choices and minimum length) is the core's schema (bot.cases.fields),
the form adds only how the chat asks it. `read_answer` turns what the person
sent (text, a tapped choice, a shared location) into draft values or a DomainError whose
catalogue key says what to fix.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.cases.attachments import StoredFile
from bot.cases.fields import FIELD, read_contact, read_identity
from bot.errors import DomainError
from bot.i18n import format_date, t
from bot.intake.door import InboundMessage
from bot.intake.validation import clean_name
from store.enums import CaseKind

SUMMARY = "summary"
# The choice of a files step that removes every file attached so far.
CLEAR_FILES = "clear"
MAX_TEXT = 4000
OLDEST_INCIDENT_YEARS = 5
_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d-%m-%y", "%d/%m/%y")
_YES = {"ya", "y", "yes", "iya", "benar"}
_NO = {"tidak", "t", "no", "n", "bukan", "tdk"}


@dataclass(frozen=True)
class Answer:
    """What the person sent for the current step."""

    text: str | None = None
    choice: str | None = None
    location: tuple[float, float] | None = None


@dataclass(frozen=True)
class FormField:
    """One question. `kind` picks the reader; `stores` are the draft keys it fills."""

    key: str
    kind: str
    stores: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    guided: bool | Callable[[dict[str, Any]], bool] = True
    skippable: bool = False
    min_len: int = 0
    in_summary: bool = True

    @property
    def keys(self) -> tuple[str, ...]:
        """The draft keys this field fills."""
        if self.kind == "files":
            return (f"{self.key}_done",)
        return self.stores or (self.key,)

    def answered(self, data: dict[str, Any]) -> bool:
        """True when the draft holds an answer to this field."""
        return any(k in data for k in self.keys)

    def asked(self, data: dict[str, Any]) -> bool:
        """True when the guided sequence asks this field (given the answers so far)."""
        return self.guided(data) if callable(self.guided) else self.guided


@dataclass(frozen=True)
class Form:
    """A named sequence of fields that ends in a case of `kind`."""

    name: str
    kind: CaseKind
    fields: tuple[FormField, ...]

    def field(self, key: str) -> FormField:
        """The field with this key (KeyError for an unknown one)."""
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def next_step(self, data: dict[str, Any]) -> str:
        """The first guided field still unanswered, or SUMMARY."""
        for f in self.fields:
            if f.asked(data) and not f.answered(data):
                return f.key
        return SUMMARY

    def progress(self, key: str, data: dict[str, Any]) -> tuple[int, int]:
        """(position of `key`, number of guided fields) for "step n of N"."""
        guided = [f.key for f in self.fields if f.asked(data)]
        return (guided.index(key) + 1 if key in guided else len(guided), len(guided))

    def details(self, data: dict[str, Any]) -> dict[str, Any]:
        """The answers as case details for `bot.cases.opening` / intake (internal keys left out)."""
        wanted = {k for f in self.fields if f.kind != "files" for k in f.keys}
        return {k: v for k, v in data.items() if k in wanted}

    def submission(self, data: dict[str, Any], **message: Any) -> InboundMessage:
        """The message a submitted form is for intake: the answers as the new case's fields,
        the request or complaint as its text, the files sent with it (already in the blob
        store); `message` gives the rest (channel, external_id, sender, received_at, language,
        meta, and the sender_name used when the form asks no name)."""
        details = self.details(data)
        return InboundMessage(
            **{**message, "sender_name": details.get("name") or message.get("sender_name")},
            text=details.get("information_requested") or details.get("description") or "",
            new_case_kind=self.kind,
            fields=details,
            attachments=tuple(StoredFile(**f) for f in data.get("files", [])),
        )


def _needs_email(data: dict[str, Any]) -> bool:
    return data.get("delivery_method") == "email"


# The chat's reader of a schema kind, where it differs (a one-line answer is read as text).
_READER_OF_KIND = {"line": "text"}
_YES_NO = ("yes", "no")


def asked(name: str, **how: Any) -> FormField:
    """The case field `name` (bot.cases.fields) as the chat asks it; `how` adds the chat's own
    options (guided, skippable, in_summary) or the buttons it offers (choices)."""
    spec = FIELD[name]
    return FormField(
        **{
            "key": spec.name,
            "kind": _READER_OF_KIND.get(spec.kind, spec.kind),
            "stores": spec.stores,
            "choices": spec.choices,
            "min_len": spec.min_len,
            **how,
        }
    )


REQUEST_FORM = Form(
    "request",
    CaseKind.INFORMATION_REQUEST,
    (
        asked("name"),
        asked("identity"),
        asked("address"),
        asked("contact", in_summary=False),
        asked("information_requested"),
        asked("purpose"),
        asked("obtain_method"),
        asked("delivery_method"),
        asked("email", guided=_needs_email),
        asked("phone", guided=False),
        asked("occupation", guided=False),
        asked("acting_for", guided=False),
        FormField("attachments", "files", guided=False),
    ),
)

COMPLAINT_FORM = Form(
    "complaint",
    CaseKind.COMPLAINT,
    (
        asked("description"),
        asked("classification"),
        asked("category"),
        asked("location"),
        asked("incident_date", choices=("today", "yesterday")),
        FormField("evidence", "files", skippable=True),
        asked("anonymous", choices=_YES_NO),
        asked("confidential", choices=_YES_NO),
        asked("name", guided=False),
        asked("phone", guided=False),
    ),
)

FORMS = {f.name: f for f in (REQUEST_FORM, COMPLAINT_FORM)}


def choice_label(f: FormField, value: str, language: str) -> str:
    """The button label of one choice."""
    return t(f"form.choice.{f.key}.{value}", language)


def _text(answer: Answer, f: FormField) -> str:
    text = " ".join((answer.text or "").split()) if f.kind != "text" else (answer.text or "")
    text = text.strip()
    if not text:
        raise DomainError("form.err.need_text")
    if len(text) > MAX_TEXT:
        raise DomainError("form.err.too_long", maximum=MAX_TEXT)
    return text


def _read_name(f: FormField, a: Answer, lang: str) -> dict[str, Any]:
    name = clean_name(_text(a, f)) or ""  # what officers' cards show, whoever registers it
    if not 3 <= len(name) <= 100 or not re.search(r"[^\W\d_]", name) or re.search(r"\d", name):
        raise DomainError("form.err.name")
    return {f.key: name}


def _read_text(f: FormField, a: Answer, lang: str) -> dict[str, Any]:
    text = _text(a, f)
    if len(text) < f.min_len:
        raise DomainError("form.err.too_short", minimum=f.min_len)
    return {f.key: text}


def _read_identity(f: FormField, a: Answer, lang: str) -> dict[str, Any]:
    text = _text(a, f)
    identity = read_identity(text)
    if "entity_sk_number" in identity and (len(text) < 5 or not re.search(r"\d", text)):
        raise DomainError("form.err.identity")
    return {"nik": None, "entity_sk_number": None, **identity}


def _read_contact(f: FormField, a: Answer, lang: str) -> dict[str, Any]:
    text = _text(a, f)
    if "@" in text or re.search(r"[a-z]\.[a-z]", text, re.IGNORECASE):  # an email, mistyped
        return read_contact("email", text)
    return read_contact("phone", text)


def _read_phone(f: FormField, a: Answer, lang: str) -> dict[str, Any]:
    return read_contact("phone", _text(a, f))


def _read_email(f: FormField, a: Answer, lang: str) -> dict[str, Any]:
    return read_contact("email", _text(a, f))


def _pick(f: FormField, a: Answer, lang: str) -> str:
    if a.choice is not None and a.choice in f.choices:
        return a.choice
    typed = " ".join((a.text or "").split()).lower()
    for i, value in enumerate(f.choices, start=1):
        if typed in (value.lower(), str(i), choice_label(f, value, lang).lower()):
            return value
    # a word of one button's label ("softcopy", "kurir") is that button
    partial = [
        v for v in f.choices if len(typed) >= 3 and typed in choice_label(f, v, lang).lower()
    ]
    if len(partial) == 1:
        return partial[0]
    raise DomainError("form.err.choose")


def _read_choice(f: FormField, a: Answer, lang: str) -> dict[str, Any]:
    return {f.key: _pick(f, a, lang)}


def _read_yesno(f: FormField, a: Answer, lang: str) -> dict[str, Any]:
    typed = (a.text or "").strip().lower()
    if a.choice is None and typed in _YES | _NO:
        return {f.key: typed in _YES}
    return {f.key: _pick(f, a, lang) == "yes"}


def parse_date(text: str, today: dt.date) -> dt.date:
    """A date as people type it (31-12-2025, 31/12/25, 2025-12-31), not in the future and not
    more than five years back; DomainError otherwise."""
    for fmt in _DATE_FORMATS:
        try:
            day = dt.datetime.strptime(text.strip(), fmt).date()
            break
        except ValueError:
            continue
    else:
        raise DomainError("form.err.date")
    if day > today:
        raise DomainError("form.err.date_future")
    if day.year < today.year - OLDEST_INCIDENT_YEARS:
        raise DomainError("form.err.date_old", years=OLDEST_INCIDENT_YEARS)
    return day


def read_date(f: FormField, a: Answer, today: dt.date) -> dict[str, Any]:
    """The date field: a tap on today/yesterday, or a typed date."""
    if a.choice == "today":
        return {f.key: today.isoformat()}
    if a.choice == "yesterday":
        return {f.key: (today - dt.timedelta(days=1)).isoformat()}
    return {f.key: parse_date(_text(a, f), today).isoformat()}


def _read_location(f: FormField, a: Answer, lang: str) -> dict[str, Any]:
    if a.location is not None:
        lat, lon = a.location
        return {f.key: t("form.location_value", lang, lat=f"{lat:.5f}", lon=f"{lon:.5f}")}
    text = _text(a, f)
    if len(text) < 5:
        raise DomainError("form.err.location")
    return {f.key: text[:255]}


def _read_files(f: FormField, a: Answer, lang: str) -> dict[str, Any]:
    if a.choice == "done":
        return {f"{f.key}_done": True}
    raise DomainError("form.err.files_expected")


_READERS: dict[str, Callable[[FormField, Answer, str], dict[str, Any]]] = {
    "name": _read_name,
    "text": _read_text,
    "identity": _read_identity,
    "contact": _read_contact,
    "phone": _read_phone,
    "email": _read_email,
    "choice": _read_choice,
    "yesno": _read_yesno,
    "location": _read_location,
    "files": _read_files,
}


def read_answer(f: FormField, answer: Answer, language: str, today: dt.date) -> dict[str, Any]:
    """The draft values for `answer` to field `f`, or DomainError saying what to fix."""
    if f.kind == "date":
        return read_date(f, answer, today)
    return _READERS[f.kind](f, answer, language)


def display_value(f: FormField, data: dict[str, Any], language: str) -> str:
    """How an answer reads in the summary."""
    if f.kind == "files":
        return t("form.files_count", language, count=len(data.get("files", [])))
    if f.key == "identity":
        if data.get("nik"):
            return t("form.identity_nik", language, nik=data["nik"])
        if data.get("entity_sk_number"):
            return t("form.identity_sk", language, sk=data["entity_sk_number"])
        return "-"
    value = data.get(f.key)
    if value is None or value == "":
        return "-"
    if f.kind == "yesno":
        return t("form.yes" if value else "form.no", language)
    if f.kind == "choice":
        return choice_label(f, value, language)
    if f.kind == "date":
        return format_date(dt.date.fromisoformat(value), language)
    return str(value)


def summary_text(form: Form, data: dict[str, Any], language: str, key: str) -> str:
    """Every field and its answer, for checking before submitting, in the channel's sentence
    `key` (its `{lines}` placeholder; each channel says how to submit or change)."""
    lines = [
        f"• {t(f'form.field.{f.key}', language)}: {display_value(f, data, language)}"
        for f in form.fields
        if f.in_summary
    ]
    return t(key, language, lines="\n".join(lines))
