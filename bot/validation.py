"""Validation of what citizens type: NIK, phone numbers and email addresses."""

from __future__ import annotations

import datetime as dt
import re

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
