"""The bot's flood limiter: the overall bucket holds sends, not edits of a sent message (a
handler's edit of the tapped message waited behind the dispatcher's sends, branch `tgfile`)."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.services import Services
from channels.telegram.app import build_application
from channels.telegram.limiter import BotRateLimiter

HOUR = 3600.0
GUARD = 30.0  # seconds before a call that should not wait is taken as stuck (never reached)


async def _call(limiter: BotRateLimiter, endpoint: str, chat_id: int) -> str:
    """One call through the limiter; what it was (the callback's answer)."""

    async def callback(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        return {"endpoint": endpoint}

    got = await limiter.process_request(callback, (), {}, endpoint, {"chat_id": chat_id}, None)
    assert isinstance(got, dict)
    return str(got["endpoint"])


async def test_an_edit_goes_past_a_full_overall_bucket_a_send_waits() -> None:
    limiter = BotRateLimiter(overall_max_rate=1, overall_time_period=HOUR, max_retries=0)
    assert await _call(limiter, "sendMessage", 42) == "sendMessage"  # the bucket is full now
    send = asyncio.create_task(_call(limiter, "sendMessage", 43))
    for endpoint in ("editMessageReplyMarkup", "editMessageText", "editMessageCaption"):
        assert await asyncio.wait_for(_call(limiter, endpoint, 42), GUARD) == endpoint
    assert not send.done()  # the second send waits its hour
    send.cancel()


async def test_an_edit_in_a_group_still_counts_against_the_group() -> None:
    limiter = BotRateLimiter(group_max_rate=1, group_time_period=HOUR, max_retries=0)
    assert await _call(limiter, "sendMessage", -1001) == "sendMessage"
    edit = asyncio.create_task(_call(limiter, "editMessageText", -1001))
    # A private chat's edit, after it, is through while the group's waits its turn.
    assert await asyncio.wait_for(_call(limiter, "editMessageText", 42), GUARD)
    assert not edit.done()
    edit.cancel()


def test_the_application_uses_it(tg_services: Services) -> None:
    app = build_application(tg_services)
    assert isinstance(app.bot.rate_limiter, BotRateLimiter)
