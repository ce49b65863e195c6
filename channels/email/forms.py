"""The fields of a case as email writes them: a "Field: value" template of the required fields
still missing (ending every acknowledgement, channels/email/replies.py), and `parse_fields`,
which reads those lines back from the requester's reply (labels in either language, or common
synonyms).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from bot.cases.fields import (
    FIELD,
    FIELDS,
    LINE_MAX_CHARS,
    REQUEST,
    CaseField,
    read_contact,
    read_identity,
    required_fields,
)
from bot.errors import DomainError
from bot.i18n import LANGUAGES, t

# The template rows, in form order. A missing required field (bot.cases.opening.missing_fields) is
# asked for by the row of the same name; "contact" is asked for as a phone number.
_ROW_OF_MISSING = {"contact": "phone"}
TEMPLATE_ROWS = tuple(_ROW_OF_MISSING.get(name, name) for name in required_fields(REQUEST))
_FREE_TEXT_ROWS = frozenset(f.name for f in FIELDS if f.free_text)
# Words people use for a field besides the template's own labels (matched in lower case).
_LABEL_ALIASES = {
    "nama": "name",
    "name": "name",
    "nik": "identity",
    "no ktp": "identity",
    "nomor ktp": "identity",
    "nomor sk": "identity",
    "no sk": "identity",
    "telepon": "phone",
    "no telepon": "phone",
    "telp": "phone",
    "no telp": "phone",
    "hp": "phone",
    "no hp": "phone",
    "nomor hp": "phone",
    "whatsapp": "phone",
    "wa": "phone",
    "phone": "phone",
    "email": "email",
    "e-mail": "email",
    "pekerjaan": "occupation",
    "occupation": "occupation",
    "informasi yang diminta": "information_requested",
    "rincian informasi yang diminta": "information_requested",
    "tujuan": "purpose",
    "tujuan penggunaan informasi": "purpose",
    "cara memperoleh informasi": "obtain_method",
    "cara mengirim informasi": "delivery_method",
    "cara mendapatkan salinan": "delivery_method",
}
MAX_LABEL_CHARS = 80


@dataclass(frozen=True)
class ParsedFields:
    """Details found in "Field: value" lines, what was wrong with others, and the other text."""

    values: dict[str, str] = field(default_factory=dict)
    errors: tuple[DomainError, ...] = ()
    rest: str = ""


@cache
def _labels() -> dict[str, str]:
    labels = dict(_LABEL_ALIASES)
    for row in TEMPLATE_ROWS:
        for language in LANGUAGES:
            labels[t(f"mail.label.{row}", language).lower()] = row
    return labels


def _row_of(label: str) -> str | None:
    label = re.sub(r"\(.*?\)", "", label).lower()
    for part in label.split("/"):
        row = _labels().get(" ".join(part.replace(".", " ").split()))
        if row:
            return row
    return None


def _choice(value: str, spec: CaseField) -> str:
    """A choice as written ("salinan softcopy", "softcopy", "Ambil-langsung")."""
    norm = re.sub(r"[\s-]+", "_", value.strip().lower())
    for candidate in (norm, f"salinan_{norm}"):
        if candidate in spec.choices:
            return candidate
    raise DomainError(
        spec.invalid_key, choices=", ".join(c.replace("_", " ") for c in spec.choices)
    )


def _validated(row: str, value: str) -> dict[str, str]:
    """The detail(s) one filled-in row stands for; raises DomainError for an invalid value."""
    spec = FIELD[row]
    if spec.kind == "identity":
        return read_identity(value)
    if spec.kind in ("phone", "email"):
        return read_contact(spec.kind, value)
    if spec.kind == "choice":
        return {row: _choice(value, spec)}
    return {row: value if row in _FREE_TEXT_ROWS else value[:LINE_MAX_CHARS]}


def _field_line(line: str) -> tuple[str | None, str]:
    """The label and value of a "Label: value" line, found in time linear in the line (a
    backtracking pattern took seconds on a long line of spaces, on the event loop)."""
    head, colon, value = line.partition(":")
    label = head.strip()
    if not colon or not 2 <= len(label) <= MAX_LABEL_CHARS:
        return None, ""
    return label, value.strip()


def parse_fields(text: str) -> ParsedFields:
    """Read "Field: value" lines (template labels in either language, or common synonyms).

    Free-text fields continue on the following lines up to a blank line. Rows left empty are
    ignored; invalid values are reported, not stored.
    """
    collected: dict[str, str] = {}
    rest: list[str] = []
    current: str | None = None
    for line in (text or "").splitlines():
        label, value = _field_line(line)
        row = _row_of(label) if label else None
        if row:
            current = row if row in _FREE_TEXT_ROWS else None
            if value:
                collected[row] = value
            continue
        if current and line.strip() and current in collected:
            collected[current] += "\n" + line.strip()
            continue
        current = None
        rest.append(line)
    values: dict[str, str] = {}
    errors: list[DomainError] = []
    for row, value in collected.items():
        try:
            values.update(_validated(row, value))
        except DomainError as exc:
            errors.append(exc)
    return ParsedFields(values, tuple(errors), "\n".join(rest).strip())


def field_template(missing: Sequence[str]) -> str:
    """Empty "Label / Label: " lines for the missing required fields, ready to be filled in."""
    rows = [_ROW_OF_MISSING.get(name, name) for name in missing]
    lines = []
    for row in TEMPLATE_ROWS:
        if row in rows:
            lines.append(f"{t(f'mail.label.{row}', 'id')} / {t(f'mail.label.{row}', 'en')}: ")
            if row in ("obtain_method", "delivery_method"):
                lines += [f"  ({t(f'mail.choices.{row}', language)})" for language in LANGUAGES]
    return "\n".join(lines)
