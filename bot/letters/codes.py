"""Letter numbers and verification codes: derived from the case, checkable without a register.

A letter's number is its case reference and the document's short code (`PPID/2026/000123/PT`).
Its verification code adds an HMAC of (reference, kind, issue date) keyed with LETTER_SECRET
(REPLY_SECRET when unset), so a third party shown a letter can have the body confirm it
(`loket letters verify CODE`) and nobody without the secret can forge a code for a case.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

from bot.settings import Settings

MAC_CHARS = 8  # 40 bits of base32: short enough to type, far too many to guess
CODE_RE = re.compile(r"^\s*([A-Z][A-Z0-9-]{1,15}/\d{4}/\d{6})-([A-Z]{2,4})-([A-Z2-7]{8})\s*$")


@dataclass(frozen=True)
class ParsedCode:
    """The parts of a verification code: case reference, document code, MAC."""

    reference: str
    abbreviation: str
    mac: str


def _secret(settings: Settings) -> bytes:
    secret = settings.letter_secret.get_secret_value() or settings.reply_secret.get_secret_value()
    return secret.encode()


def letter_mac(settings: Settings, reference: str, kind: str, issued_on: dt.date) -> str:
    """The MAC part of a letter's code: base32 of HMAC-SHA256(reference|kind|date), 8 chars."""
    message = f"{reference}|{kind}|{issued_on.isoformat()}".encode()
    digest = hmac.new(_secret(settings), message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:MAC_CHARS]


def letter_number(reference: str, abbreviation: str) -> str:
    """The letter's number: its case reference and the document code."""
    return f"{reference}/{abbreviation}"


def verification_code(
    settings: Settings, reference: str, kind: str, abbreviation: str, issued_on: dt.date
) -> str:
    """The code printed on the letter: `PPID/2026/000123-PT-K7M2Q9XA`."""
    return f"{reference}-{abbreviation}-{letter_mac(settings, reference, kind, issued_on)}"


def parse_code(code: str) -> ParsedCode | None:
    """The parts of a code as printed (any case, surrounding spaces ignored), or None."""
    match = CODE_RE.match((code or "").upper())
    if match is None:
        return None
    return ParsedCode(match.group(1), match.group(2), match.group(3))


def same_mac(a: str, b: str) -> bool:
    """Constant-time comparison of two MACs."""
    return hmac.compare_digest(a.encode(), b.encode())
