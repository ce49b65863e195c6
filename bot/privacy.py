"""Masking of personal data (UU 27/2022; UU KIP Pasal 17 h) for every output and every log."""

from __future__ import annotations

import logging
import re
from typing import Any

# A NIK as people write it: 16 digits, possibly grouped with spaces, dots or dashes.
_NIK_RE = re.compile(r"(?<![\d.-])\d(?:[\s.-]?\d){15}(?![\d]|[\s.-]\d)")
# Indonesian phone numbers as people write them: +62 / 62 / 0, then a mobile (8xx) or area
# code and the subscriber number, with separators and optional brackets around the area code.
# Not after "digit." / "digit,": that is an amount such as Rp 1.050.000.000.
_PHONE_RE = re.compile(
    r"(?<![\w+/])(?<!\d[.,])(?:\+62|62|\(0|0)[\s.-]?\(?[1-9]\d{1,3}\)?(?:[\s.-]?\d){5,10}(?![\d])"
)
_EMAIL_RE = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_nik(nik: str | None) -> str:
    """`3171234567890001` -> `3171********0001`; anything not 16 digits is fully starred."""
    if not nik:
        return ""
    digits = nik.strip()
    if len(digits) == 16 and digits.isdigit():
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


def mask_phone(phone: str | None) -> str:
    """Keep the country/operator prefix and the last three digits: `+62812*****890`.

    Separators are dropped first; at least four digits are always hidden, and a number too
    short for that is starred completely.
    """
    if not phone:
        return ""
    digits = re.sub(r"[^\d+]", "", phone)
    keep = _phone_prefix_length(digits)
    hidden = len(digits) - keep - 3
    if hidden < 4:
        return "*" * len(digits)
    return f"{digits[:keep]}{'*' * hidden}{digits[-3:]}"


def mask_email(email: str | None) -> str:
    """`budi.santoso@example.com` -> `b***@example.com`."""
    if not email:
        return ""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "*" * len(email)


def mask_name(name: str | None) -> str:
    """Initials only, for group chats: `Budi Santoso` -> `B. S.`."""
    if not name:
        return ""
    return " ".join(f"{part[0]}." for part in name.split() if part)


def _mask_nik_match(match: re.Match[str]) -> str:
    return mask_nik(re.sub(r"[\s.-]", "", match.group(0)))


def redact(text: str) -> str:
    """Mask every NIK, phone number and email address found anywhere in free text."""
    text = _NIK_RE.sub(_mask_nik_match, text)
    text = _PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)
    return _EMAIL_RE.sub(lambda m: f"{m.group(1)}***{m.group(2)}", text)


def redact_data(value: Any) -> Any:
    """`redact` applied to every string inside nested dicts, lists and tuples."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that masks personal data in every record before any handler sees it."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message (and any traceback text) with personal data masked.

        Never drops a record. A traceback is formatted here, once, so that the exception's own
        message (which may quote what a citizen typed) is masked too.
        """
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the redacting filter to every handler of `logger` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
