"""Telegram errors in the terms of the outbox contract (bot/notify/delivery.py)."""

from __future__ import annotations

import datetime as dt
import warnings

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.notify.delivery import PermanentFailure, TemporaryFailure


def retry_after_seconds(exc: RetryAfter) -> float:
    """Seconds Telegram asked us to wait (PTB 22 gives an int now, a timedelta later)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def delivery_failure(exc: TelegramError) -> TemporaryFailure | PermanentFailure:
    """429 -> temporary with its wait; 403 and 400 -> permanent; network trouble -> temporary.

    403 means the user blocked the bot or left (the contact is marked failing); a 400 such as
    "chat not found" cannot succeed on retry either.
    """
    if isinstance(exc, RetryAfter):
        return TemporaryFailure("telegram flood control (429)", retry_after_seconds(exc))
    if isinstance(exc, Forbidden):
        return PermanentFailure(f"telegram 403: {exc.message}")
    if isinstance(exc, BadRequest):
        return PermanentFailure(f"telegram 400: {exc.message}")
    if isinstance(exc, NetworkError):  # TimedOut is a NetworkError
        return TemporaryFailure(f"telegram network error: {exc.message}")
    return TemporaryFailure(f"telegram error: {exc.message}")
