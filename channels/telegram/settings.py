"""The Telegram channel's keys: the bot, its Bot API addresses, the webhook, the desk chat."""

from __future__ import annotations

from pydantic import SecretStr, field_validator

from bot.settings import SettingsBase


class TelegramSettings(SettingsBase):
    """TELEGRAM_*: an empty TELEGRAM_BOT_TOKEN leaves the channel off."""

    telegram_bot_token: SecretStr = SecretStr("")
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    telegram_webhook_url: str = ""
    telegram_webhook_secret: SecretStr = SecretStr("")
    telegram_desk_chat_id: int | None = None  # PPID/admin group: cards of undisposed cases

    @field_validator("telegram_desk_chat_id", mode="before")
    @classmethod
    def _empty_chat_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value
