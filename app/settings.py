"""Loket's one settings object: the core's keys and every channel's (app/channels.py), read
from the environment and `.env` together."""

from __future__ import annotations

from app.channels import CHANNELS
from bot.settings import Settings as CoreSettings
from bot.settings import read_settings


class Settings(CoreSettings, *(channel.SETTINGS for channel in CHANNELS)):  # type: ignore[misc]
    """Every key Loket reads; an instance is also the core's `bot.settings.Settings`."""

    @property
    def desk_chat_id(self) -> int | None:
        """The officers' desk group chat: TELEGRAM_DESK_CHAT_ID (officers work from Telegram)."""
        return self.telegram_desk_chat_id  # type: ignore[no-any-return]


def load_settings(**overrides: object) -> Settings:
    """Return validated settings, or raise `SettingsError` naming the first bad key in one line."""
    return read_settings(Settings, **overrides)
