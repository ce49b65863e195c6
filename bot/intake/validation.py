"""Validation of what citizens type: NIK, phone numbers, email addresses and names."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import phonenumbers

from bot.errors import DomainError

# Province codes (kode wilayah, first two digits of a NIK), Permendagri 72/2019 and the new
# Papua provinces of 2022 (91-97).
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61, 62, 63, 64,
     65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96, 97}
)  # fmt: skip
_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
)


def validate_nik(raw: str) -> str:
    """Return the 16-digit NIK, or raise DomainError when it cannot be a real one.

    Checks length, the province code, the birth date encoded in digits 7-12 (day + 40 for
    women) and a non-zero serial number (digits 13-16), as Dukcapil issues them.
    """
    nik = re.sub(r"[\s.-]", "", raw or "")
    if not (len(nik) == 16 and nik.isdigit()):
        raise DomainError("validation.nik_length")
    if int(nik[:2]) not in PROVINCE_CODES:
        raise DomainError("validation.nik_region")
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    try:
        dt.date(2000 + year, month, day)
    except ValueError:
        raise DomainError("validation.nik_birthdate") from None
    if nik[12:] == "0000":
        raise DomainError("validation.nik_serial")
    return nik


def normalise_phone(raw: str) -> str:
    """Return the number in E.164 (`+62...`), or raise DomainError when it is not a phone number."""
    try:
        number = phonenumbers.parse(raw or "", "ID")
    except phonenumbers.NumberParseException:
        raise DomainError("validation.phone") from None
    if not phonenumbers.is_valid_number(number):
        raise DomainError("validation.phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_email(raw: str) -> str:
    """Return the address trimmed and with a lower-case domain, or raise DomainError."""
    email = (raw or "").strip()
    if not _EMAIL_RE.match(email) or len(email) > 254:
        raise DomainError("validation.email")
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


MAX_NAME_CHARS = 128
MAX_COMBINING_MARKS = 4  # Arabic harakat or Vietnamese tones stack two or three, never more
# Unicode categories no name needs: controls, formatting characters (bidi overrides and
# isolates, zero-width space/joiners, BOM, soft hyphen), private use, surrogates, unassigned.
_STRIPPED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})


def clean_name(raw: str | None) -> str | None:
    """A person's name safe to show anywhere: NFC, without control, bidi-override, zero-width
    or other invisible characters, runs of whitespace as one space, no pile of combining
    marks, at most MAX_NAME_CHARS characters; None when nothing readable is left.

    Letters of every script (Latin, Arabic with its vowel marks, Chinese, ...) and the
    punctuation of names and titles ("Dr. H. Abdul Rahman, S.H.") are kept as they are.
    """
    if raw is None:
        return None
    kept: list[str] = []
    marks = 0
    for char in unicodedata.normalize("NFC", raw):
        category = unicodedata.category(char)
        if category in _STRIPPED_CATEGORIES and not char.isspace():
            continue
        if char.isspace() or category in ("Zl", "Zp"):
            char = " "
        if category.startswith("M"):
            marks += 1
            if marks > MAX_COMBINING_MARKS:
                continue
        else:
            marks = 0
        kept.append(char)
    name = " ".join("".join(kept).split())[:MAX_NAME_CHARS].strip()
    return name or None
