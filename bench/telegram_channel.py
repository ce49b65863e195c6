"""The Telegram channel as `loket run` builds it, on a bench database, against the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.settings import Settings
from bot.clock import SystemClock
from bot.ports import ChannelParts
from bot.services import Services
from channels.telegram import build
from sandbox.telegram_api.server import BotApiEmulator
from store.blobs import BlobStore
from store.db import Database
from tests.support.telegram import telegram_settings


def telegram_channel(
    url: str, db: Database, api: BotApiEmulator | Any, attachments: Path
) -> tuple[Services, ChannelParts]:
    """The services (system clock, blobs under `attachments`) and the built channel parts;
    `api` is the emulator or its address (`base_url`, `base_file_url`) in another process."""
    base = Settings(_env_file=None, database_url=url, attachment_dir=attachments)  # type: ignore[call-arg]
    settings = telegram_settings(base, api)
    blobs = BlobStore(settings.attachment_dir, settings.attachment_max_bytes)
    services = Services(settings, db, SystemClock(), blobs)
    parts = build(services)
    assert parts is not None and parts.sender is not None
    return services, parts
