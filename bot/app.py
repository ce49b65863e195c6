"""Composition root: builds settings, store, clock and the core services, and wires them."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.intake import Intake
from bot.log_privacy import register_settings_secrets
from bot.settings import Settings
from store.blobs import BlobStore
from store.db import Database


@dataclass
class Services:
    """Everything a command or a channel needs, built once from the settings."""

    settings: Settings
    db: Database
    clock: Clock
    blobs: BlobStore
    intake: Intake = field(init=False)

    def __post_init__(self) -> None:
        self.intake = Intake(self.db, self.settings, self.clock, self.blobs)

    async def close(self) -> None:
        """Release the database connections."""
        await self.db.dispose()


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    """Services for `settings`; the clock defaults to the system clock. Its secrets are never
    written to a log from now on."""
    register_settings_secrets(settings)
    return Services(
        settings=settings,
        db=Database.from_url(settings.database_url),
        clock=clock or SystemClock(),
        blobs=BlobStore(settings.attachment_dir, settings.attachment_max_bytes),
    )
