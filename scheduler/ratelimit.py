"""Pacing sends a safety margin below the channels' limits (scheduler/rate_limits.py).

How a send is paced. A send first waits for its recipient's buckets, then for room in the
channel-wide window, so a chat that must wait never holds up a send to another chat. A
recipient's window is stretched by MARGIN (a limit of one a second is kept as one in 1.03 s): a
little jitter between our clock and the server's never turns into a 429. A one-message-per-window
bucket (one per second per chat) counts from when the previous send *finished* (`settle`),
because the server may have counted it at any moment up to its answer. The channel-wide window
is sliding window accounting, not even spacing: a send starts when fewer than `count` sends are
in flight or finished within the last window (WIDE_MARGIN longer than the channel's). The
server counts a send between its start and its answer, so any window of the server's holds no
more than `count` sends, however late a wake-up was or how the sends bunch; and a slot a late
wake-up missed is made up as soon as the window allows. `back_off` honours a `retry_after`: the
recipient's buckets (or the whole channel's, when two recipients are told to wait at once)
wait that long.

Across workers (`slots`, PostgreSQL, where several `loket run` may send for one bot): each
channel-wide bucket is leased to one worker at a time (`rate_leases`, scheduler/rate_slots.py),
and the holder paces it in memory exactly as above, with the one-a-window buckets of the
recipients it sends to. Buckets of more than one send a window that are not channel-wide (a
group's 20 a minute, a WhatsApp user's 10 a minute) stay shared rows of `rate_slots`, reserved
atomically before the lease is asked for. A lease lasts LEASE_SECONDS, a send renews it once
less than RENEW_BELOW is left, and no send starts in its last GUARD (a send's way to the
server). A worker that wants a bucket another holds asks for it (again every POLL); the holder
stops starting sends once it held the lease TERM, and releases it when nothing it started is in
flight, or at once at the end of a drain (`rest`). A release hands over the sends of the last
HANDOVER seconds (the channel's and its recipients') and the rest of a whole-channel
`retry_after`, which the next holder counts as its own. A lease whose holder died lapses; the
next holder starts no send before the lapsed lease's end plus the longest window, so the dead
worker's sends are out of every window first. So one worker at a time sends on a channel, and no
window of the server's holds more than `count` sends of all workers together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from scheduler.rate_limits import Bucket, BucketsFor, Limit

log = logging.getLogger(__name__)

# Across workers: a channel-wide bucket is leased to one worker at a time.
LEASE_SECONDS = 2.0  # how long a take or renewal holds it
RENEW_BELOW = 1.5  # renewed by the next send once less than this is left
GUARD = 0.5  # no send starts in the last GUARD of a lease (a send's way to the server)
TERM = 2.0  # held at least this long before it is handed to a worker that asked
POLL = 0.1  # a worker waiting for the lease asks again this often
HANDOVER = 2.0  # recent sends older than this are not handed over (longer than any window)


@dataclass(frozen=True)
class Grant:
    """A lease on a channel-wide bucket: held alone for `seconds` from just before it was
    asked for; `wanted`: another worker asked for it. When `taken` (not a renewal), what the
    last holder handed over: seconds to wait before any send (`clear_in`: it died holding it),
    a whole-channel retry_after's rest, and its recent sends (bucket, seconds ago)."""

    seconds: float
    wanted: bool = False
    taken: bool = False
    clear_in: float = 0.0
    blocked_for: float = 0.0
    history: Sequence[tuple[str, float]] = ()


class SlotStore(Protocol):
    """Buckets and leases shared by every worker of an installation (scheduler/rate_slots.py)."""

    async def reserve(self, buckets: list[Bucket]) -> float:
        """Reserve the next start shared by `buckets`; seconds to wait until it."""
        ...

    async def push(self, keys: list[str], seconds: float) -> None:
        """No bucket of `keys` starts a send within the next `seconds`."""
        ...

    async def take(self, key: str, holder: str, seconds: float, clear: float) -> Grant | None:
        """Hold `key` alone for `seconds` (`clear`: the longest window a dead holder's sends
        count in); None when another worker holds it or asked first."""
        ...

    async def release(
        self, key: str, holder: str, history: Sequence[tuple[str, float]], blocked_for: float
    ) -> None:
        """Give up `key`, handing over its recent sends and a retry_after's rest."""
        ...

    async def block(self, key: str, seconds: float) -> None:
        """Whoever holds `key` next starts no send within the next `seconds`."""
        ...


@dataclass
class _Lease:
    """This worker's lease on one channel-wide bucket (monotonic instants)."""

    until: float = 0.0  # ours until then; 0: not ours
    taken_at: float = 0.0
    yielding: bool = False  # another worker asked: no new send, released once none is in flight
    refused_at: float = -POLL  # when another worker last held it: asked again POLL later
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


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
        self._me = uuid.uuid4().hex  # this worker, as the holder of leases
        self._history: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}  # key -> monotonic instant of a retry_after's end
        self._told: dict[str, tuple[str, float]] = {}  # channel -> last recipient told to wait
        self._flying: dict[str, int] = {}  # channel-wide key -> sends started, not finished
        self._done: dict[str, deque[float]] = {}  # channel-wide key -> when sends finished
        self._leases: dict[str, _Lease] = {}  # channel-wide key -> our lease on it (slots)
        self._waiting: dict[str, int] = {}  # channel-wide key -> acquires not returned yet

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

    def _unslot(self, key: str, slot: float) -> None:
        """Give back a reservation of `_slot` not used (if nothing was reserved after it)."""
        history = self._history.get(key)
        if history and history[-1] == slot:
            history.pop()

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
        (key, limit), *own = buckets_for(recipient)
        waited = 0.0
        local = own
        if self._slots is not None:  # a worker's lease covers the one-a-window buckets
            local = [(k, lim) for k, lim in own if lim.count == 1]
            shared = [(k, lim) for k, lim in own if lim.count > 1]
            if shared:
                waited += await self._wait_until(
                    self._monotonic() + await self._slots.reserve(shared)
                )
        clear = max([limit.window, *(lim.window for _, lim in local)])
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            while True:
                waited += await self._hold(key, clear)
                now = self._monotonic()
                mine = [(k, lim, self._slot(k, lim, now)) for k, lim in local]
                waited += await self._wait_until(max((slot for *_, slot in mine), default=now))
                waited += await self._take_channel(key, limit)
                if self._held(key):
                    start = self._monotonic()
                    for k, _, slot in mine:  # the recipient's send starts now, not at its slot
                        self._restamp(k, slot, start)
                    return waited
                self._flying[key] -= 1  # the lease ran out meanwhile: not sent, hold it again
                for k, _, slot in mine:
                    self._unslot(k, slot)
        finally:
            self._waiting[key] -= 1

    def _held(self, key: str) -> bool:
        """A send counted against `key` may start now (always in memory; across workers while
        this worker's lease has more than GUARD left and is not being handed over)."""
        if self._slots is None:
            return True
        lease = self._leases.get(key)
        return lease is not None and not lease.yielding and lease.until - GUARD > self._monotonic()

    async def _hold(self, key: str, clear: float) -> float:
        """Across workers: have the lease on `key` (renewed when less than RENEW_BELOW is
        left); asked for again every POLL while another worker holds it. Seconds waited."""
        if self._slots is None:
            return 0.0
        lease = self._leases.setdefault(key, _Lease())
        waited = 0.0
        while True:
            fresh = lease.until - self._monotonic() >= RENEW_BELOW
            if self._held(key) and (fresh or lease.lock.locked()):
                return waited  # a renewal under way does not hold up the sends
            if lease.yielding:
                if self._flying.get(key, 0) == 0:
                    await self._release(key)
            else:
                async with lease.lock:  # one of this worker's sends asks, every POLL at most
                    now = self._monotonic()
                    asked = lease.until == 0.0 and now - lease.refused_at < POLL
                    if not asked and not (self._held(key) and lease.until - now >= RENEW_BELOW):
                        await self._take(key, lease, clear)
                if self._held(key):
                    return waited
            await self._sleep(POLL)
            waited += POLL

    async def _take(self, key: str, lease: _Lease, clear: float) -> None:
        """Take or renew the lease on `key` (its lock held); a handover's sends count here."""
        assert self._slots is not None
        before = self._monotonic()
        grant = await self._slots.take(key, self._me, LEASE_SECONDS, clear)
        now = self._monotonic()
        if grant is None:
            lease.until, lease.refused_at = 0.0, now
            return
        if grant.taken:
            lease.taken_at = now
            self._handed_over(key, grant, now)
        lease.until = before + grant.seconds
        if grant.wanted and now - lease.taken_at >= TERM:
            lease.yielding = True
            if self._flying.get(key, 0) == 0:
                await self._release(key, locked=True)

    def _handed_over(self, key: str, grant: Grant, now: float) -> None:
        """Count what the last holder of `key` handed over as this worker's own."""
        wait = max(grant.clear_in, grant.blocked_for)
        if wait > 0:
            self._blocked[key] = max(self._blocked.get(key, 0.0), now + wait)
        done = list(self._done.get(key, ()))
        for bucket, age in grant.history:
            if bucket == key:
                done.append(now - age)
                continue
            history = self._history.setdefault(bucket, deque())
            if not history or history[-1] < now - age:
                history.append(now - age)
        self._done[key] = deque(sorted(done))

    async def _release(self, key: str, *, locked: bool = False) -> None:
        """Give up the lease on `key`, handing over the sends of the last HANDOVER seconds (its
        own and its recipients' one-a-window buckets) and a retry_after's rest."""
        assert self._slots is not None
        lease = self._leases[key]
        async with lease.lock if not locked else contextlib.nullcontext():
            if lease.until == 0.0:
                return
            now = self._monotonic()
            lease.until, lease.yielding = 0.0, False
            recent = [(key, now - at) for at in self._done.get(key, ()) if at > now - HANDOVER]
            prefix = f"{key}:"
            for bucket, history in self._history.items():
                if bucket.startswith(prefix) and history and history[-1] > now - HANDOVER:
                    recent.append((bucket, now - history[-1]))
            blocked = max(0.0, self._blocked.get(key, 0.0) - now)
            try:
                await self._slots.release(key, self._me, recent, blocked)
            except Exception:  # the lease runs out instead; the next holder waits out windows
                log.exception("handing over the send-rate lease failed")

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
        it from now, and so do the recipient's one-per-window buckets. Call once per acquire.
        Across workers, a lease another worker asked for is handed over once nothing is sent
        under it."""
        buckets_for = self._buckets.get(channel)
        if buckets_for is None:
            return
        key = buckets_for(recipient)[0][0]
        self._flying[key] = max(0, self._flying.get(key, 0) - 1)
        now = self._monotonic()
        self._done.setdefault(key, deque()).append(now)
        for single, limit in buckets_for(recipient)[1:]:
            history = self._history.get(single)
            if limit.count == 1 and history:
                self._restamp(single, history[-1], now - (limit.window - limit.seconds))
        lease = self._leases.get(key)
        if lease is not None and lease.yielding and self._flying[key] == 0:
            await self._release(key)

    async def rest(self) -> None:
        """Hand back every lease nothing is sent or waiting under now (the end of a drain), so
        another worker takes it at once with this one's recent sends."""
        for key, lease in list(self._leases.items()):
            idle = self._flying.get(key, 0) == 0 and self._waiting.get(key, 0) == 0
            if lease.until > 0 and idle:
                await self._release(key)

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
        chosen = buckets if whole_channel else buckets[1:] or buckets
        until = self._monotonic() + seconds
        for key, _ in chosen:
            self._blocked[key] = max(self._blocked.get(key, until), until)
        if self._slots is not None:
            if chosen[0] == buckets[0]:  # the whole channel: whoever holds the lease next too
                await self._slots.block(buckets[0][0], seconds)
            shared = [key for key, limit in chosen[1:] if limit.count > 1]
            if shared:
                await self._slots.push(shared, seconds)
