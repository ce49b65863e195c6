"""The Telegram channel: citizen intake in chat and the officers' desk (python-telegram-bot 22).

`build(services)` is the channel's one entry for the composition root (app/runner.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.settings import SettingsError
from channels.telegram.settings import TelegramSettings

if TYPE_CHECKING:
    from bot.ports import ChannelParts
    from bot.services import Services

SETTINGS = TelegramSettings
# python-telegram-bot logs Bot API calls with their parameters and webhook bodies at DEBUG.
LIBRARY_LOGGERS = ("telegram",)


def build(services: Services) -> ChannelParts | None:
    """The channel's runner and outbox sender, or None when TELEGRAM_BOT_TOKEN is empty.

    Webhook mode (TELEGRAM_WEBHOOK_URL) requires TELEGRAM_WEBHOOK_SECRET: without it anyone
    who finds the URL could post fake updates.
    """
    # Imported here so that the emulator (sandbox.telegram_api.server) loads without PTB, and
    # reading the settings (every `loket` command) without the core's services.
    from bot.ports import ChannelParts
    from channels.telegram.app import TelegramRunner, build_application
    from channels.telegram.turn import BOT_DATA_KEY

    settings = services.settings
    if not settings.telegram_bot_token.get_secret_value():
        return None
    if settings.telegram_webhook_url and not settings.telegram_webhook_secret.get_secret_value():
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_WEBHOOK_URL is set")
    app = build_application(services)
    runner = TelegramRunner(app, services)
    return ChannelParts(runner, app.bot_data[BOT_DATA_KEY].sender, routes=runner.routes())
