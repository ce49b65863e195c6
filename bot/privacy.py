"""Masking of personal data (UU 27/2022; UU KIP Pasal 17 h) for every output and every log."""

from __future__ import annotations

import logging
import re

_NIK_RE = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")
# Indonesian phone numbers as people write them: +62 / 62 / 0 then 8-13 digits, with separators.
_PHONE_RE = re.compile(r"(?<![\w+])(?:\+?62|0)[\s.-]?8[\d\s.-]{7,14}\d(?!\d)")
_EMAIL_RE = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_nik(nik: str | None) -> str:
    """`3171234567890001` -> `3171********0001`; anything not 16 digits is fully starred."""
    if not nik:
        return ""
    digits = nik.strip()
    if len(digits) == 16 and digits.isdigit():
        return f"{digits[:4]}{'*' * 8}{digits[-4:]}"
    return "*" * len(digits)


def mask_phone(phone: str | None) -> str:
    """Keep the country/operator prefix and the last three digits: `+62812*****890`."""
    if not phone:
        return ""
    p = phone.strip()
    if len(p) <= 6:
        return "*" * len(p)
    return f"{p[:6]}{'*' * (len(p) - 9)}{p[-3:]}" if len(p) > 9 else f"{p[:3]}{'*' * (len(p) - 3)}"


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


def redact(text: str) -> str:
    """Mask every NIK, phone number and email address found anywhere in free text."""
    text = _NIK_RE.sub(lambda m: f"{m.group(1)}{'*' * 8}{m.group(2)}", text)
    text = _PHONE_RE.sub(lambda m: mask_phone(re.sub(r"[\s.-]", "", m.group(0))), text)
    return _EMAIL_RE.sub(lambda m: f"{m.group(1)}***{m.group(2)}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that masks personal data in every record before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with personal data masked; never drops a record."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        record.msg, record.args = redact(message), None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the redacting filter to every handler of `logger` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
