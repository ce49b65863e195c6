"""Logging for every `loket` command: one stderr handler, LOG_LEVEL, nothing personal or secret.

Masking is installed before anything is logged (`bot.privacy.log_filter`), so it covers every logger
and every handler at every level, DEBUG included.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from app.channels import CHANNELS
from bot.privacy.log_filter import (
    install_log_redaction,
    install_record_factory,
    register_payload_loggers,
    register_settings_secrets,
)

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# Libraries that stay quieter than LOG_LEVEL. SQLAlchemy logs every statement with its
# parameters (names, NIKs, addresses) from INFO on: SQL is never logged, whatever the level.
# httpx logs one line per HTTP request at INFO (a Telegram long poll every few seconds): only
# at DEBUG does it follow LOG_LEVEL. Alembic's INFO lines are `loket init`'s noise.
_QUIETER = {
    "sqlalchemy": logging.WARNING,
    "aiosqlite": logging.WARNING,
    "alembic": logging.WARNING,
}
# WeasyPrint logs each of its seven steps at INFO for every PDF (a letter per acknowledgement).
_QUIETER_UNLESS_DEBUG = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "weasyprint": logging.WARNING,
    "fontTools": logging.WARNING,
}


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (test runners swap it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


_handler: logging.Handler | None = None


def level_from(value: str | None, default: str = "INFO") -> int:
    """The `logging` level for a LOG_LEVEL value (case-insensitive); `default` when unset or
    not one of DEBUG, INFO, WARNING, ERROR."""
    name = (value or "").strip().upper()
    return logging.getLevelName(name if name in LEVELS else default)  # type: ignore[no-any-return]


def configure_logging(level: str | int | None = None, settings: Any | None = None) -> None:
    """Log to stderr at `level` (else the settings' LOG_LEVEL, else the LOG_LEVEL environment
    variable, else INFO), personal data and secrets masked in every line; safe to call again.

    The secrets of `settings` (or of the settings this process would load) are registered for
    masking.
    """
    global _handler
    install_record_factory()
    if settings is None:
        from app.settings import load_settings
        from bot.settings import SettingsError

        try:
            settings = load_settings()
        except SettingsError:
            settings = None  # the command itself reports the bad setting in one line
    if settings is not None:
        register_settings_secrets(settings)
    if level is None:
        level = settings.log_level if settings is not None else os.environ.get("LOG_LEVEL")
    numeric = level if isinstance(level, int) else level_from(level)
    root = logging.getLogger()
    if _handler is None:
        _handler = _StderrHandler()
        _handler.setFormatter(logging.Formatter(FORMAT))
    if _handler not in root.handlers:
        root.addHandler(_handler)
    root.setLevel(numeric)
    for name, floor in _QUIETER.items():
        logging.getLogger(name).setLevel(max(floor, numeric))
    for name, floor in _QUIETER_UNLESS_DEBUG.items():
        logging.getLogger(name).setLevel(numeric if numeric <= logging.DEBUG else floor)
    for channel in CHANNELS:
        register_payload_loggers(channel.LIBRARY_LOGGERS)
    install_log_redaction(root)
