"""Loket's one settings object: the core's keys and every channel's, read from the environment
and `.env` together. Adding a channel adds its settings class to the bases here."""

from __future__ import annotations

from bot.settings import Settings as CoreSettings
from bot.settings import read_settings
from channels.email.settings import EmailSettings
from channels.telegram.settings import TelegramSettings


class Settings(CoreSettings, EmailSettings, TelegramSettings):
    """Every key Loket reads; an instance is also the core's `bot.settings.Settings`."""


def load_settings(**overrides: object) -> Settings:
    """Return validated settings, or raise `SettingsError` naming the first bad key in one line."""
    return read_settings(Settings, **overrides)
