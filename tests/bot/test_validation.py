"""What citizens type: NIK (Dukcapil rules), phone numbers (E.164 via phonenumbers), email."""

from __future__ import annotations

import pytest

from bot.errors import DomainError
from bot.intake.validation import normalise_phone, validate_email, validate_nik


@pytest.mark.parametrize(
    ("raw", "nik"),
    [
        ("3171014501900001", "3171014501900001"),  # Jakarta, woman born 05-01-1990 (45 = 5+40)
        ("3171010501900001", "3171010501900001"),  # man born 05-01-1990
        ("3171 0145 0190 0001", "3171014501900001"),
        ("3171.01.450190.0001", "3171014501900001"),
        ("9471017112990002", "9471017112990002"),  # Papua, woman born 31-12-1999 (71 = 31+40)
        ("1171012902000003", "1171012902000003"),  # Aceh, 29-02-2000 (a leap year)
    ],
)
def test_valid_niks(raw: str, nik: str) -> None:
    assert validate_nik(raw) == nik


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("317101450190000", "validation.nik_length"),  # 15 digits
        ("31710145019000011", "validation.nik_length"),  # 17 digits
        ("3171O14501900001", "validation.nik_length"),  # letter O
        ("", "validation.nik_length"),
        ("0071014501900001", "validation.nik_region"),
        ("2071014501900001", "validation.nik_region"),
        ("9871014501900001", "validation.nik_region"),
        ("3171013201900001", "validation.nik_birthdate"),  # day 32
        ("3171014001900001", "validation.nik_birthdate"),  # 40: neither a man's nor a woman's day
        ("3171017201900001", "validation.nik_birthdate"),  # 72 - 40 = 32
        ("3171010001900001", "validation.nik_birthdate"),  # day 0
        ("3171010113900001", "validation.nik_birthdate"),  # month 13
        ("3171012902010001", "validation.nik_birthdate"),  # 29-02-2001
        ("3171014501900000", "validation.nik_serial"),
    ],
)
def test_invalid_niks(raw: str, key: str) -> None:
    with pytest.raises(DomainError) as err:
        validate_nik(raw)
    assert err.value.key == key


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("0812 3456 7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("+62-812-3456-7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("(021) 3456789", "+62213456789"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_become_e164(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "08123", "abc", "", "+62 999"])
def test_invalid_phone_numbers(raw: str) -> None:
    with pytest.raises(DomainError) as err:
        normalise_phone(raw)
    assert err.value.key == "validation.phone"


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("siti@example.id", "siti@example.id"),
        ("  Siti.Aminah+ppid@Mail.Example.CO.ID ", "Siti.Aminah+ppid@mail.example.co.id"),
        ("o'neil@example.com", "o'neil@example.com"),
    ],
)
def test_valid_emails(raw: str, email: str) -> None:
    assert validate_email(raw) == email


@pytest.mark.parametrize(
    "raw",
    ["", "siti", "siti@", "@example.id", "siti@example", "siti@@example.id", "siti @example.id",
     "siti@example.i", f"{'a' * 250}@example.id"],
)  # fmt: skip
def test_invalid_emails(raw: str) -> None:
    with pytest.raises(DomainError) as err:
        validate_email(raw)
    assert err.value.key == "validation.email"
