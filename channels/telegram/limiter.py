"""The bot's flood limiter: PTB's AIORateLimiter, whose overall bucket holds sends only.

Telegram's overall limit is about 30 *messages sent* a second (core.telegram.org/bots/faq,
"broadcasting to users"; the Bot API emulator counts the same, sandbox/telegram_api/limits.py).
AIORateLimiter holds every call naming a chat in that one bucket, edits included, and the
dispatcher's sends fill it: a handler's edit of the tapped message (Turn.edit, taking the old
buttons off) then waited behind them, up to 320 ms with 20 citizens filing at once, and with it
the update's commit and the answer the citizen waits for (docs/benchmarks.md, branch
`tgfile`). An edit goes past the overall bucket; in a group it still counts against the
group's 20 a minute, as before, and it still waits out a 429 the bot was told of.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

# Calls that change a message already sent rather than send one.
NOT_SENDS = frozenset({"editMessageReplyMarkup", "editMessageText", "editMessageCaption"})

Result = bool | dict[str, Any] | list[dict[str, Any]]


class BotRateLimiter(AIORateLimiter):
    """AIORateLimiter whose overall bucket counts sends only (edits go past it)."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Run the call: a send through AIORateLimiter's buckets, an edit past the overall
        one (in a group through the group's bucket)."""
        if endpoint not in NOT_SENDS:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        group = _group_of(data.get("chat_id"))
        bucket: Any = contextlib.nullcontext()
        if group is not None and self._group_max_rate:
            bucket = self._get_group_limiter(group)
        async with bucket:
            await self._retry_after_event.wait()  # a 429 the bot was told of is waited out
            return await callback(*args, **kwargs)


def _group_of(chat_id: object) -> int | str | None:
    """The group a call goes to (negative ids and @usernames, as AIORateLimiter reads them)."""
    if isinstance(chat_id, str):
        try:
            chat_id = int(chat_id)
        except ValueError:
            return chat_id
    if isinstance(chat_id, int) and chat_id < 0:
        return chat_id
    return None
