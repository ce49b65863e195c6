"""Masking of personal data (UU 27/2022; UU KIP Pasal 17 h) for every output and every log.

`redact` is the one function that finds NIKs, Indonesian phone numbers and email addresses in
free text, however they are written; cards, relays, reports and logs all go through it.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

# Characters people (and copy-paste) slip between digits that no one sees: zero-width spaces
# and joiners, word joiners, soft hyphens, bidi marks and the byte-order mark (Unicode Cf).
_INVISIBLE_RE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)
# Separators people put between digit groups: spaces of every kind, dots, dashes, slashes,
# underscores, commas and brackets ("+62 (0)812-3456-7890", "0812/3456/7890", "0812  3456").
_SEPARATOR_CHARS = r"\s._,/()\u2010-\u2015-"
# A run of digit groups joined by one to three separators, optionally after a "+".
_SEQUENCE_RE = re.compile(rf"(?<!\d)\+?\d+(?:[{_SEPARATOR_CHARS}]{{1,3}}\d+)*")
_GROUP_RE = re.compile(r"\d+")
_EMAIL_RE = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")

NIK_DIGITS = 16
# Digits after the trunk "0" or the country code 62: area code + subscriber (021-345678 is
# 8) up to the longest mobile numbers (0812-3456-78901 is 12).
_NATIONAL_DIGITS = range(8, 13)


def normalise_text(text: str) -> str:
    """`text` without invisible characters, with every Unicode digit as an ASCII digit.

    What a reader sees is unchanged; what a pattern sees is what the reader sees.
    """
    text = _INVISIBLE_RE.sub("", text)
    if text.isascii():
        return text
    return "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text
    )


def mask_nik(nik: str | None) -> str:
    """`3171234567890001` -> `3171********0001`; anything not 16 digits is fully starred."""
    if not nik:
        return ""
    digits = re.sub(rf"[{_SEPARATOR_CHARS}]", "", normalise_text(nik))
    if len(digits) == NIK_DIGITS and digits.isdigit():
        return f"{digits[:4]}{'*' * 8}{digits[-4:]}"
    return "*" * len(digits)


def _phone_prefix_length(digits: str) -> int:
    """How much of a number is country/operator prefix: `+62812`, `62812` or `0812`."""
    if digits.startswith("+62"):
        return 6
    if digits.startswith("62"):
        return 5
    if digits.startswith(("0", "+")):
        return 4
    return 3


def _phone_digits(phone: str) -> str:
    """The number as dialled: digits and a leading "+", the "(0)" after 62 dropped."""
    digits = re.sub(r"[^\d+]", "", normalise_text(phone))
    for country in ("+62", "62"):
        if digits.startswith(country + "0") and len(digits) > len(country) + 8:
            return country + digits[len(country) + 1 :]
    return digits


def mask_phone(phone: str | None) -> str:
    """Keep the country/operator prefix and the last three digits: `+62812*****890`.

    Any notation is accepted (`+62 (0)812-3456-7890`, `0812.3456.7890`, ...); at least four
    digits are always hidden, and a number too short for that is starred completely.
    """
    if not phone:
        return ""
    digits = _phone_digits(phone)
    keep = _phone_prefix_length(digits)
    hidden = len(digits) - keep - 3
    if hidden < 4:
        return "*" * len(digits)
    return f"{digits[:keep]}{'*' * hidden}{digits[-3:]}"


def mask_email(email: str | None) -> str:
    """`budi.santoso@example.com` -> `b***@example.com`."""
    if not email:
        return ""
    email = normalise_text(email).strip()
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "*" * len(email)


def mask_name(name: str | None) -> str:
    """Initials only, for group chats: `Budi Santoso` -> `B. S.`."""
    if not name:
        return ""
    return " ".join(f"{part[0]}." for part in name.split() if part)


@dataclass(frozen=True)
class _Group:
    start: int
    end: int
    digits: str


def _strong(separator: str) -> bool:
    """A separator that can end one number and start the next: a space or a comma."""
    return any(c.isspace() or c in ",;" for c in separator)


def _list_separator(separator: str) -> bool:
    """`, ` or `; `: the separator of a list, which never joins two groups into one number."""
    return bool(re.search(r"[,;]\s", separator))


def _national_number(digits: str, plus: bool) -> str | None:
    """The digits after the trunk 0 or the country code, when `digits` is an Indonesian phone."""
    if plus or digits.startswith("62"):
        if not digits.startswith("62"):
            return None
        rest = digits[2:]
        rest = rest[1:] if rest.startswith("0") else rest  # "+62 (0)812…"
    elif digits.startswith("0"):
        rest = digits[1:]
    elif digits.startswith("8"):
        rest = digits  # a mobile number written without its leading 0: 812-3456-7890
        if len(rest) < 9 or rest[1] == "0":
            return None
    else:
        return None
    if len(rest) not in _NATIONAL_DIGITS or rest[0] in "01":
        return None
    return rest


def _is_amount(groups: list[_Group], separators: list[str], plus: bool) -> bool:
    """`1.050.000.000`: thousands groups after a first group that does not start with 0."""
    return (
        not plus
        and len(groups) > 1
        and not groups[0].digits.startswith("0")
        and len(groups[0].digits) <= 3
        and all(s in (".", ",") for s in separators)
        and all(len(g.digits) == 3 for g in groups[1:])
    )


def _matches(full: str, sequence: re.Match[str]) -> list[tuple[int, int, str]]:
    """(start, end, masked) of every NIK and phone number in one run of digit groups.

    Numbers are read left to right over whole groups. One may start at the run's beginning,
    right after another number, or after a space or comma; it must end at the run's end or
    before a space or comma, so `1.050.000.000` or `2026-01-05` never yield one.
    """
    text, offset = sequence.group(0), sequence.start()
    plus = text.startswith("+")
    groups = [_Group(m.start(), m.end(), m.group(0)) for m in _GROUP_RE.finditer(text)]
    separators = [text[a.end : b.start] for a, b in itertools.pairwise(groups)]
    if _is_amount(groups, separators, plus):
        return []
    found: list[tuple[int, int, str]] = []
    i, may_start = 0, True
    while i < len(groups):
        hit = _number_at(groups, separators, i, plus and i == 0) if may_start else None
        if hit is None:
            i += 1
            may_start = i < len(groups) and _strong(separators[i - 1])
            continue
        start, j, masked = hit
        start += offset
        if start > 0 and full[start - 1] == "(" and ")" in "".join(separators[i : i + 1]):
            start -= 1  # "(021) 3456789" is masked brackets and all
        found.append((start, offset + groups[j].end, masked))
        i, may_start = j + 1, True
    return found


def _number_at(
    groups: list[_Group], separators: list[str], i: int, plus: bool
) -> tuple[int, int, str] | None:
    """A NIK or phone number made of groups i..j: (start in `text`, j, masked), or None."""
    digits, best = "", None
    for j in range(i, len(groups)):
        digits += groups[j].digits
        if len(digits) > NIK_DIGITS:
            break
        last = j + 1 == len(groups)
        if last or _strong(separators[j]):
            if len(digits) == NIK_DIGITS and (j == i or _plausible_nik(digits)):
                return groups[i].start, j, mask_nik(digits)
            national = _national_number(digits, plus)
            if national is not None:
                prefix = "+" if plus else ""
                best = (groups[i].start - len(prefix), j, mask_phone(prefix + digits))
        if not last and _list_separator(separators[j]):
            break
    return best


def _plausible_nik(digits: str) -> bool:
    """16 digits that can be a NIK: a province code, then a birth day (women: day + 40) and
    month in places 7-10. Asked only of digits written in groups, so that a list of years
    (`2019 2020 2021 2022`) is not taken for one; 16 digits in one run are always masked."""
    day, month = int(digits[6:8]), int(digits[8:10])
    return digits[0] != "0" and (1 <= day <= 31 or 41 <= day <= 71) and 1 <= month <= 12


def _redact_numbers(text: str) -> str:
    pieces, last = [], 0
    for sequence in _SEQUENCE_RE.finditer(text):
        for start, end, masked in _matches(text, sequence):
            pieces += [text[last:start], masked]
            last = end
    return "".join(pieces) + text[last:] if pieces else text


def redact(text: str) -> str:
    """Mask every NIK, phone number and email address found anywhere in free text.

    Invisible characters are removed first, so `0812\u200b3456…` is masked as `08123456…`.
    """
    text = _redact_numbers(normalise_text(text))
    return _EMAIL_RE.sub(lambda m: f"{m.group(1)}***{m.group(2)}", text)


def clean_relay_text(text: str) -> str:
    """A citizen's words as officers' chats show them: invisible characters removed, every run
    of whitespace one space, personal data masked (the card summary and relays share this)."""
    return redact(" ".join(normalise_text(text).split()))


def redact_data(value: Any) -> Any:
    """`redact` applied to every string inside nested dicts, lists and tuples."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value
