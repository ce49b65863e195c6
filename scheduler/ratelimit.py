"""Per-channel send rate limits, paced a safety margin below the channels' own limits.

Telegram's documented limits (core.telegram.org/bots/faq, "broadcasting to users"): about 30
messages per second overall, no more than one per second in one chat, and no more than 20 per
minute in one group (group chat ids are negative). Mail servers set their own limit, so the
email cap is a setting (OUTBOX_EMAIL_PER_SECOND). WhatsApp's Cloud API (developers.facebook.com,
"Throughput" and "pair rate limit"): 80 messages per second per business number, and about one
message every 6 seconds to one user (10 a minute, bursts allowed).

How a send is paced. The first bucket of a channel is channel-wide (the bot, the business
number, the mail server); the others belong to one recipient (its chat, its group, its user
pair). A send first waits for its recipient's buckets, then for room in the channel-wide
window, so a chat that must wait never holds up a send to another chat. A recipient's window
is stretched by MARGIN (a limit of one a second is kept as one in 1.03 s): a little jitter
between our clock and the server's never turns into a 429. A one-message-per-window bucket
(one per second per chat) counts from when the previous send *finished* (`settle`), because the
server may have counted it at any moment up to its answer. The channel-wide window is sliding
window accounting, not even spacing: a send starts when fewer than `count` sends are in flight
or finished within the last window (WIDE_MARGIN longer than the channel's). The server counts a
send between its start and its answer, so any window of the server's holds no more than
`count` sends, however late a wake-up was or how the sends bunch; and a slot a late wake-up
missed is made up as soon as the window allows (no even slots to lose).
`back_off` honours a `retry_after`: the recipient's buckets (or the whole channel's, when two
recipients are told to wait at once) wait that long.

Across workers (`slots`, PostgreSQL): the same buckets as rows of `rate_slots`, each the next
instant a send may start, reserved atomically in the database (scheduler/rate_slots.py); there
the windows are even spacing (MARGIN longer) plus `settle`, and each worker also keeps its own
sends in flight within the channel-wide window. A worker reserves the channel's slots BLOCK at
a time (one statement for four sends, one block at a time per worker) and hands them to its
sends in order; a slot whose send woke more than `lateness` after it lapses, so no window of
`seconds` holds more than `count` starts of all workers together. A worker told a whole-channel
`retry_after` drops the slots it holds; another worker uses at most the rest of its block.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from store.enums import Channel

MARGIN = 0.03  # windows are kept 3 % longer than the channel's own
BLOCK = 4  # channel-wide shared slots a worker reserves in one round trip
# The channel-wide window counts each send until its answer came back, a round trip of margin
# already; 1 % more covers a server clock running slightly fast.
WIDE_MARGIN = 0.01


@dataclass(frozen=True)
class Limit:
    """At most `count` sends in any window of `seconds`."""

    count: int
    seconds: float

    @property
    def window(self) -> float:
        """The window we keep: `seconds` stretched by MARGIN."""
        return self.seconds * (1 + MARGIN)

    @property
    def wide_window(self) -> float:
        """The channel-wide window we keep, counting sends until they finished."""
        return self.seconds * (1 + WIDE_MARGIN)

    @property
    def spacing(self) -> float:
        """The even spacing that keeps `count` per `window`."""
        return self.window / self.count

    @property
    def lateness(self) -> float:
        """How late a shared slot may still be used: slots `spacing` apart, each used at most
        this late, put no more than `count` starts in any window of `seconds` (that needs
        lateness < seconds * MARGIN; 90 % of it is used)."""
        return self.seconds * MARGIN * 0.9


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
    """The bucket function of every channel with a limit (others are not limited); the first
    bucket of each list is the channel-wide one."""
    if email_per_second >= 1:
        email_limit = Limit(int(email_per_second), 1.0)
    else:  # e.g. 0.5: one mail every two seconds
        email_limit = Limit(1, 1.0 / email_per_second)
    return {
        Channel.TELEGRAM.value: telegram_buckets,
        Channel.WHATSAPP.value: whatsapp_buckets,
        Channel.EMAIL.value: lambda _recipient: [("email", email_limit)],
    }


class SlotStore(Protocol):
    """Buckets shared by every worker of an installation (scheduler/rate_slots.py)."""

    async def reserve(self, buckets: list[Bucket], count: int = 1) -> float:
        """Reserve the next start shared by `buckets` (with `count` > 1, of one bucket: that
        many consecutive slots, `spacing` apart); seconds to wait until the first."""
        ...

    async def push(self, keys: list[str], seconds: float) -> None:
        """No bucket of `keys` starts a send within the next `seconds`."""
        ...


class RateLimiter:
    """Waits until a send fits in every bucket it counts against, then records it."""

    def __init__(
        self,
        buckets: Mapping[str, BucketsFor],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        slots: SlotStore | None = None,
    ) -> None:
        self._buckets, self._monotonic, self._sleep = dict(buckets), monotonic, sleep
        self._slots = slots
        self._history: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}  # key -> monotonic instant of a retry_after's end
        self._told: dict[str, tuple[str, float]] = {}  # channel -> last recipient told to wait
        self._flying: dict[str, int] = {}  # channel-wide key -> sends started, not finished
        self._done: dict[str, deque[float]] = {}  # channel-wide key -> when sends finished
        self._spare: dict[str, list[float]] = {}  # channel-wide key -> our reserved slots, sorted
        self._refilling: dict[str, asyncio.Lock] = {}  # channel-wide key -> reserving a block

    def _slot(self, key: str, limit: Limit, earliest: float) -> float:
        """Reserve the first instant >= `earliest` that keeps `limit` (reservations of one key
        never go back in time, so its history stays sorted)."""
        history = self._history.setdefault(key, deque())
        slot = max(earliest, self._blocked.get(key, earliest), history[-1] if history else earliest)
        if len(history) >= limit.count:
            slot = max(slot, history[-limit.count] + limit.window)
        history.append(slot)
        while history and history[0] <= slot - limit.window and len(history) > limit.count:
            history.popleft()
        return slot

    async def _wait_until(self, slot: float) -> float:
        wait = slot - self._monotonic()
        if wait > 0:
            await self._sleep(wait)
            return wait
        return 0.0

    async def acquire(self, channel: str, recipient: str) -> float:
        """Block until a send to `recipient` on `channel` is allowed; return seconds waited."""
        buckets_for = self._buckets.get(channel)
        if buckets_for is None:
            return 0.0
        overall, *own = buckets_for(recipient)
        if self._slots is not None:
            waited = 0.0
            if own:
                wait = await self._slots.reserve(own)
                if wait > 0:
                    await self._sleep(wait)
                    waited += wait
            return waited + await self._take_shared(*overall)
        now = self._monotonic()
        mine = [(key, limit, self._slot(key, limit, now)) for key, limit in own]
        waited = await self._wait_until(max((slot for *_, slot in mine), default=now))
        waited += await self._take_channel(*overall)
        start = self._monotonic()
        for key, _, slot in mine:  # the recipient's send starts now, not at its own slot
            self._restamp(key, slot, start)
        return waited

    async def _take_channel(self, key: str, limit: Limit) -> float:
        """Room in the channel-wide window, counting each send until it *finished* (one still
        in flight counts as now): the server counted it somewhere between its start and its
        answer, so no jitter can crowd its window, and no late wake-up loses a slot."""
        waited = await self._wait_until(self._blocked.get(key, 0.0))
        while (wait := self._room_in(key, limit)) > 0:
            await self._sleep(wait)
            waited += wait
        self._flying[key] = self._flying.get(key, 0) + 1
        return waited

    def _room_in(self, key: str, limit: Limit) -> float:
        """0 when the channel-wide window has room for one more send now, else the seconds
        until it may have."""
        done = self._done.setdefault(key, deque())
        now = self._monotonic()
        while done and done[0] <= now - limit.wide_window:
            done.popleft()
        if self._flying.get(key, 0) + len(done) < limit.count:
            return 0.0
        return max(done[0] + limit.wide_window - now if done else limit.spacing, 0.001)

    async def _take_shared(self, key: str, limit: Limit) -> float:
        """Room in this worker's own channel-wide window, then its next shared slot (BLOCK
        more reserved in one round trip when none is left). A slot missed by more than
        `lateness` (a late wake-up), or met with the window full again, lapses: another
        worker's slots follow it closely."""
        assert self._slots is not None
        waited = 0.0
        refilling = self._refilling.setdefault(key, asyncio.Lock())
        while True:
            while (wait := self._room_in(key, limit)) > 0:
                await self._sleep(wait)
                waited += wait
            async with refilling:  # one block at a time, so no worker hoards the bot's slots
                spare = self._spare.setdefault(key, [])
                if not spare:
                    wait = await self._slots.reserve([(key, limit)], count=BLOCK)
                    first = self._monotonic() + wait
                    for i in range(BLOCK):
                        bisect.insort(spare, first + i * limit.spacing)
                slot = spare.pop(0)
            waited += await self._wait_until(slot)
            if self._monotonic() <= slot + limit.lateness and self._room_in(key, limit) == 0:
                self._flying[key] = self._flying.get(key, 0) + 1
                return waited

    def _restamp(self, key: str, old: float, new: float) -> None:
        history = self._history[key]
        if new > old and history and history[-1] == old:
            history[-1] = new

    def in_flight(self, channel: str) -> int:
        """How many sends on `channel` were allowed and not yet settled (0 when idle: every
        acquire must be matched by a settle, or the channel's window fills up for good)."""
        buckets_for = self._buckets.get(channel)
        return self._flying.get(buckets_for("")[0][0], 0) if buckets_for else 0

    async def settle(self, channel: str, recipient: str) -> None:
        """A send `acquire` allowed has finished (or was given up): the channel's window counts
        it from now, and so do the recipient's one-per-window buckets. Call once per acquire."""
        buckets_for = self._buckets.get(channel)
        if buckets_for is None:
            return
        key = buckets_for(recipient)[0][0]
        self._flying[key] = max(0, self._flying.get(key, 0) - 1)
        self._done.setdefault(key, deque()).append(self._monotonic())
        singles = [(k, lim) for k, lim in buckets_for(recipient)[1:] if lim.count == 1]
        if self._slots is not None:
            for key, limit in singles:
                await self._slots.push([key], limit.seconds)
            return
        now = self._monotonic()
        for key, limit in singles:
            history = self._history.get(key)
            if history:
                self._restamp(key, history[-1], now - (limit.window - limit.seconds))

    async def back_off(
        self, channel: str, recipient: str, seconds: float, *, whole_channel: bool | None = None
    ) -> None:
        """Honour a `retry_after`: no send to `recipient` (or on the whole channel) for
        `seconds`. Unless told, the whole channel waits when a second recipient is told to wait
        while the first still waits: then the limit hit is the channel's, not one chat's."""
        buckets_for = self._buckets.get(channel)
        if buckets_for is None or seconds <= 0:
            return
        buckets = buckets_for(recipient)
        if whole_channel is None:
            now = self._monotonic()
            other, until = self._told.get(channel, (recipient, now))
            whole_channel = other != recipient and until > now
            self._told[channel] = (recipient, now + seconds)
        keys = [key for key, _ in (buckets if whole_channel else buckets[1:] or buckets)]
        if self._slots is not None:
            if whole_channel:  # our reserved slots are void; the next block starts after it
                self._spare.pop(buckets[0][0], None)
            await self._slots.push(keys, seconds)
            return
        until = self._monotonic() + seconds
        for key in keys:
            self._blocked[key] = max(self._blocked.get(key, until), until)
