"""Per-channel send rate limits, as sliding windows on the real (monotonic) clock.

Telegram's documented limits (core.telegram.org/bots/faq, "broadcasting to users"): about 30
messages per second overall, no more than one per second in one chat, and no more than 20 per
minute in one group (group chat ids are negative). Mail servers set their own limit, so the
email cap is a setting (OUTBOX_EMAIL_PER_SECOND). WhatsApp's Cloud API (developers.facebook.com,
"Throughput" and "pair rate limit"): 80 messages per second per business number, and about one
message every 6 seconds to one user (10 a minute, bursts allowed).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from store.enums import Channel


@dataclass(frozen=True)
class Limit:
    """At most `count` sends in any window of `seconds`."""

    count: int
    seconds: float


Bucket = tuple[str, Limit]
BucketsFor = Callable[[str], list[Bucket]]

TELEGRAM_OVERALL = Limit(30, 1.0)
TELEGRAM_PER_CHAT = Limit(1, 1.0)
TELEGRAM_PER_GROUP = Limit(20, 60.0)


WHATSAPP_OVERALL = Limit(80, 1.0)
WHATSAPP_PER_USER = Limit(10, 60.0)


def whatsapp_buckets(recipient: str) -> list[Bucket]:
    """The windows one WhatsApp send counts against: the business number and the user pair."""
    return [("whatsapp", WHATSAPP_OVERALL), (f"whatsapp:{recipient}", WHATSAPP_PER_USER)]


def telegram_buckets(recipient: str) -> list[Bucket]:
    """The windows one Telegram send counts against: overall, its chat, and its group."""
    buckets = [("telegram", TELEGRAM_OVERALL), (f"telegram:{recipient}", TELEGRAM_PER_CHAT)]
    if recipient.startswith("-"):
        buckets.append((f"telegram-group:{recipient}", TELEGRAM_PER_GROUP))
    return buckets


def channel_buckets(email_per_second: float) -> dict[str, BucketsFor]:
    """The bucket function of every channel with a limit (others are not limited)."""
    if email_per_second >= 1:
        email_limit = Limit(int(email_per_second), 1.0)
    else:  # e.g. 0.5: one mail every two seconds
        email_limit = Limit(1, 1.0 / email_per_second)
    return {
        Channel.TELEGRAM.value: telegram_buckets,
        Channel.WHATSAPP.value: whatsapp_buckets,
        Channel.EMAIL.value: lambda _recipient: [("email", email_limit)],
    }


class RateLimiter:
    """Waits until a send fits in every window it counts against, then records it."""

    def __init__(
        self,
        buckets: Mapping[str, BucketsFor],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._buckets, self._monotonic, self._sleep = dict(buckets), monotonic, sleep
        self._history: dict[str, deque[float]] = {}
        self._lock = asyncio.Lock()

    def _wait_needed(self, buckets: list[Bucket], now: float) -> float:
        wait = 0.0
        for key, limit in buckets:
            history = self._history.setdefault(key, deque())
            while history and history[0] <= now - limit.seconds:
                history.popleft()
            if len(history) >= limit.count:
                wait = max(wait, history[-limit.count] + limit.seconds - now)
        return wait

    async def acquire(self, channel: str, recipient: str) -> float:
        """Block until a send to `recipient` on `channel` is allowed; return seconds waited."""
        buckets_for = self._buckets.get(channel)
        if buckets_for is None:
            return 0.0
        buckets = buckets_for(recipient)
        waited = 0.0
        async with self._lock:
            while (wait := self._wait_needed(buckets, self._monotonic())) > 0:
                await self._sleep(wait)
                waited += wait
            now = self._monotonic()
            for key, _ in buckets:
                self._history[key].append(now)
        return waited
