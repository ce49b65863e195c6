"""The Telegram Bot API emulator as pytest fixtures, and settings that point a bot at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from pydantic import SecretStr

from app.settings import Settings
from sandbox.telegram_api.server import BotApiEmulator, ManualClock, RateLimits

TOKEN = "123456:TEST-TOKEN"


@pytest_asyncio.fixture
async def telegram_api() -> AsyncIterator[BotApiEmulator]:
    """A started emulator without flood limits (tests that check limits build their own)."""
    api = await BotApiEmulator(TOKEN).start()
    yield api
    await api.stop()


@pytest_asyncio.fixture
async def limited_telegram_api() -> AsyncIterator[tuple[BotApiEmulator, ManualClock]]:
    """A started emulator enforcing Telegram's limits on a manual clock (moves only when told)."""
    clock = ManualClock()
    api = await BotApiEmulator(TOKEN, limits=RateLimits(), clock=clock).start()
    yield api, clock
    await api.stop()


def telegram_settings(settings: Settings, api: BotApiEmulator, **overrides: object) -> Settings:
    """`settings` with the bot token and API URLs of `api` (plus any other overrides)."""
    return settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_api_base_url": api.base_url,
            "telegram_file_base_url": api.base_file_url,
            **overrides,
        }
    )
