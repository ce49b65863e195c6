"""Composition root: builds settings, store, clock and the core services, and wires them."""

from __future__ import annotations

from app.settings import Settings
from bot.clock import Clock, SystemClock
from bot.privacy.log_filter import register_settings_secrets
from bot.services import Services
from store.blobs import BlobStore
from store.db import Database


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
