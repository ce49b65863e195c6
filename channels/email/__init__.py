"""The email channel: IMAP intake (IDLE or polling) and the SMTP sender of the outbox.

This package is what app/channels.py lists (`bot.ports.ChannelModule`): `SETTINGS`, its
libraries' loggers and `build`. Importing it imports nothing else: a module of the channel
imported alone (the mail reader process imports `channels.email.reader`) loads neither the
settings nor the store nor the core's services. `SETTINGS` is channels/email/settings.py's
class, imported when first asked for; the wiring is channels/email/runner.py, imported by
`build`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.ports import ChannelParts
    from bot.services import Services
    from channels.email.settings import EmailSettings

    SETTINGS = EmailSettings

# aioimaplib logs every protocol line (whole mails) and aiosmtplib every command at DEBUG.
LIBRARY_LOGGERS = ("aioimaplib", "aiosmtplib")


def build(services: Services) -> ChannelParts | None:
    """The email channel's parts, or None when neither IMAP_HOST nor SMTP_HOST is set."""
    from channels.email.runner import build as build_parts

    return build_parts(services)


def __getattr__(name: str) -> object:
    """`SETTINGS`, imported on first use (PEP 562); any other missing name is an error."""
    if name == "SETTINGS":
        from channels.email.settings import EmailSettings

        return EmailSettings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
