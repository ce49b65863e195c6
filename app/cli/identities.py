"""How an operator writes an officer's identity on a channel (`--identity whatsapp:0812...`),
brought to the form that channel's adapter reports it, so the desk recognises the officer
when they write from there (bot.desk.identities)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.errors import DomainError
from bot.intake.validation import normalise_phone, validate_email
from store.enums import Channel

if TYPE_CHECKING:
    from bot.desk.identities import ChannelIdentity

# The channels a person can write from (a letter, a phone call or a visit names no one).
IDENTITY_CHANNELS = (Channel.TELEGRAM, Channel.WHATSAPP, Channel.EMAIL, Channel.WEB)
MAX_EXTERNAL_ID = 320


def identity_channel(channel: str) -> str:
    """The channel's code; DomainError naming the choices when no one writes from it."""
    name = channel.strip().lower()
    if name not in {c.value for c in IDENTITY_CHANNELS}:
        choices = ", ".join(c.value for c in IDENTITY_CHANNELS)
        raise DomainError("desk_identity.unknown_channel", channel=channel, choices=choices)
    return name


def channel_identity(channel: str, raw: str) -> ChannelIdentity:
    """The identity in the form the channel's adapter reports it; DomainError when `raw`
    cannot be an id on that channel (or the channel names no one)."""
    from bot.desk.identities import ChannelIdentity

    name = identity_channel(channel)
    value = raw.strip()
    if name == Channel.TELEGRAM:
        # A Telegram user id is a positive 64-bit number (group chats are negative, users not).
        if not value.isdigit() or not 0 < int(value) < 2**63:
            raise DomainError("cli.bad_telegram_id", value=raw)
        value = str(int(value))
    elif name == Channel.WHATSAPP:
        # The Cloud API names a sender by their number in international form, digits only
        # (`wa_id`, e.g. 6281234567890): a number as the desk writes it is brought to that.
        value = normalise_phone(value).lstrip("+")
    elif name == Channel.EMAIL:
        value = validate_email(value).lower()
    elif not value or len(value) > MAX_EXTERNAL_ID or any(c.isspace() for c in value):
        raise DomainError("desk_identity.bad_web_id", value=raw, max=MAX_EXTERNAL_ID)
    return ChannelIdentity(name, value)


def parse_identity(text: str) -> tuple[str, str]:
    """`whatsapp:0812...` split into channel and raw id; DomainError without the colon."""
    channel, colon, raw = text.partition(":")
    if not colon or not channel.strip() or not raw.strip():
        raise DomainError("desk_identity.bad_form", value=text)
    return channel.strip().lower(), raw.strip()
