"""Channel rate limits: a margin below the channels' own, one chat's wait never holding up
another, retry_after honoured; shared by every worker on PostgreSQL."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections import defaultdict

import pytest

from bot.services import Services
from scheduler.rate_limits import MARGIN, channel_buckets
from scheduler.rate_slots import PostgresSlots, shared_slots
from scheduler.ratelimit import GUARD, LEASE_SECONDS, RateLimiter, SlotStore


class FakeTime:
    """A monotonic clock that only moves when the limiter sleeps (or when told)."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)  # as a real sleep, other tasks run meanwhile


class OverlappingTime(FakeTime):
    """A fake clock on which the sleeps of `tasks` concurrent tasks overlap, as real ones do:
    once every task is asleep (none is running or waiting on I/O), the clock jumps to the
    earliest wake-up and wakes that task alone."""

    def __init__(self, tasks: int) -> None:
        super().__init__()
        self.running = tasks
        self._asleep: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    async def sleep(self, seconds: float) -> None:
        woken = asyncio.get_running_loop().create_future()
        heapq.heappush(self._asleep, (self.now + seconds, next(self._order), woken))
        self.running -= 1
        self._wake_next()
        await woken

    def done(self) -> None:
        """A task ended."""
        self.running -= 1
        self._wake_next()

    def _wake_next(self) -> None:
        if self.running == 0 and self._asleep:
            deadline, _, woken = heapq.heappop(self._asleep)
            self.now = max(self.now, deadline)
            self.running += 1
            woken.set_result(None)


def limiter(
    time: FakeTime, email_per_second: float = 5, slots: SlotStore | None = None
) -> RateLimiter:
    """The production limits on the fake clock (shared through `slots`, if given)."""
    return RateLimiter(
        channel_buckets(email_per_second), monotonic=time.monotonic, sleep=time.sleep, slots=slots
    )


async def send_times(lim: RateLimiter, time: FakeTime, channel: str, recipients: list[str]):
    """The fake time at which each send was allowed."""
    times = []
    for recipient in recipients:
        await lim.acquire(channel, recipient)
        times.append(round(time.now, 6))
        await lim.settle(channel, recipient)
    return times


def most_in_a_window(times: list[float], seconds: float) -> int:
    """The largest number of sends in any window of `seconds` (as Telegram counts them)."""
    return max(sum(1 for u in times if t <= u < t + seconds) for t in times)


async def test_telegram_one_message_per_chat_in_a_little_more_than_a_second() -> None:
    time = FakeTime()
    times = await send_times(limiter(time), time, "telegram", ["42"] * 10)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(1.0 < gap <= 1.0 + MARGIN + 1e-6 for gap in gaps)


async def test_another_chat_is_not_held_up_by_a_chat_that_must_wait() -> None:
    time = FakeTime()
    times = await send_times(limiter(time), time, "telegram", ["42", "42", "43"])
    assert times[1] > 1.0 and times[2] - times[1] < 0.05  # 43 goes right after 42's second


async def test_telegram_twenty_per_minute_in_a_group() -> None:
    time = FakeTime()
    times = await send_times(limiter(time), time, "telegram", ["-1001"] * 21)
    assert most_in_a_window(times, 60.0) == 20 and times[19] < 21 and times[20] > 60


async def test_telegram_overall_just_under_thirty_a_second() -> None:
    time = FakeTime()
    times = await send_times(limiter(time), time, "telegram", [str(i) for i in range(300)])
    assert most_in_a_window(times, 1.0) <= 30
    assert 300 / times[-1] >= 0.95 * 30


async def test_sends_in_flight_and_just_finished_fill_the_bots_window() -> None:
    time = FakeTime()
    lim = limiter(time)
    for i in range(30):  # thirty sends still waiting for Telegram's answer
        await lim.acquire("telegram", str(i))
    started = time.now
    waiting = asyncio.create_task(lim.acquire("telegram", "99"))
    await asyncio.sleep(0)
    assert not waiting.done()  # the 31st waits while the thirty are in flight
    await lim.settle("telegram", "0")  # one answered: it counts from now
    await waiting
    assert time.now >= started + 1.0


async def test_a_one_per_second_chat_counts_from_the_end_of_the_send() -> None:
    time = FakeTime()
    lim = limiter(time)
    await lim.acquire("telegram", "42")
    time.now += 0.5  # the Bot API took half a second to answer
    await lim.settle("telegram", "42")
    await lim.acquire("telegram", "42")
    assert time.now >= 1.5


async def test_retry_after_holds_that_chat_then_the_whole_bot_when_two_chats_hear_it() -> None:
    time = FakeTime()
    lim = limiter(time)
    await lim.back_off("telegram", "42", 5)
    assert await send_times(lim, time, "telegram", ["43"]) == [0]  # another chat goes on
    assert (await send_times(lim, time, "telegram", ["42"]))[0] >= 5
    start = time.now
    await lim.back_off("telegram", "44", 3)
    await lim.back_off("telegram", "45", 3)  # a second chat told while the first waits
    assert (await send_times(lim, time, "telegram", ["46"]))[0] >= start + 3


async def test_email_cap_is_a_setting_and_other_channels_are_free() -> None:
    time = FakeTime()
    lim = limiter(time, email_per_second=2)
    times = await send_times(lim, time, "email", ["a", "b", "c"])
    assert times[0] == 0 and most_in_a_window(times, 1.0) <= 2
    slow = FakeTime()
    assert (await send_times(limiter(slow, 0.5), slow, "email", ["a", "b"]))[1] >= 2
    before = time.now
    assert await send_times(lim, time, "web", ["x"] * 5) == [before] * 5


async def test_whatsapp_keeps_the_pair_rate_limit_of_one_user() -> None:
    time = FakeTime()
    times = await send_times(limiter(time), time, "whatsapp", ["62811"] * 11 + ["62812"])
    assert times[9] < 1 and times[10] >= 60  # the 11th to one user waits a minute
    assert times[11] - times[10] < 0.1  # another user was never held back by the pair


def shared(services: Services, time: FakeTime) -> PostgresSlots:
    """The `rate_slots` and `rate_leases` rows on the fake clock (PostgreSQL only)."""
    if shared_slots(services.db) is None:
        pytest.skip("SQLite runs one worker; its buckets are in memory")
    return PostgresSlots(services.db, clock=time.monotonic)


async def test_workers_hand_the_bots_lease_over_with_their_recent_sends(
    services: Services,
) -> None:
    time = FakeTime()
    slots = shared(services, time)
    one, two = (limiter(time, slots=slots) for _ in "12")
    await one.acquire("telegram", "42")
    time.now += 0.2  # the answer
    await one.settle("telegram", "42")
    await one.rest()  # the drain is over: the lease is handed back
    await two.acquire("telegram", "42")  # the other worker, the same chat
    assert time.now >= 1.2  # a second after the first worker's answer
    await two.settle("telegram", "42")
    await two.rest()
    started = time.now
    await one.acquire("telegram", "43")  # another chat is not held up
    assert time.now - started < 0.01


async def test_a_retry_after_for_the_whole_bot_holds_every_worker(services: Services) -> None:
    time = FakeTime()
    slots = shared(services, time)
    one, two = (limiter(time, slots=slots) for _ in "12")
    await one.acquire("telegram", "42")
    await one.back_off("telegram", "42", 30, whole_channel=True)  # Telegram told one worker
    await one.settle("telegram", "42")
    await one.rest()
    await two.acquire("telegram", "43")  # the other takes the lease, and the wait with it
    assert time.now >= 30
    await two.settle("telegram", "43")


async def test_a_worker_dying_with_the_lease_holds_the_others_out_of_its_windows(
    services: Services,
) -> None:
    time = FakeTime()
    slots = shared(services, time)
    dying, alive = (limiter(time, slots=slots) for _ in "12")
    starts = []
    for chat in range(30):  # thirty sends in flight, then the worker is gone (no settle)
        await dying.acquire("telegram", str(chat))
        starts.append(time.now)
    await alive.acquire("telegram", "7")  # waits for the lease to run out, then a window more
    assert time.now >= LEASE_SECONDS + 1.0 and time.now - max(starts) >= 1.0 + GUARD
    starts.append(time.now)
    for chat in range(30, 60):
        await alive.settle("telegram", str(chat - 1) if chat > 30 else "7")
        await alive.acquire("telegram", str(chat))
        starts.append(time.now)
    assert most_in_a_window(starts, 1.0) <= 30


async def chains_of_sends(
    workers: list[RateLimiter],
    time: OverlappingTime,
    chats: int = 40,
    rounds: int = 4,
    joining: float = 0.0,
) -> tuple[list[float], list[float], dict[str, list[tuple[float, float]]]]:
    """Every chat gets `rounds` messages one after another (as the dispatcher sends a chat's
    rows), each by the next worker, all chats at once (`time` counts `chats` tasks); each
    answer takes up to 60 ms. With `joining`, the chats of the last worker start that many
    seconds late, all through it (a worker joining mid-run). The starts, the instants the
    server counted them (at the start or at the answer: the two worst cases), and each chat's
    (start, answer)."""
    rng = random.Random(7)
    starts: list[float] = []
    counted: list[float] = []
    per_chat: dict[str, list[tuple[float, float]]] = defaultdict(list)

    async def chain(chat: int) -> None:
        try:
            late = joining > 0 and chat % len(workers) == len(workers) - 1
            if late:
                await time.sleep(joining)
            for k in range(rounds):
                worker = workers[-1] if late else workers[(chat + k) % len(workers)]
                await worker.acquire("telegram", str(chat))
                start = time.now
                await time.sleep(rng.uniform(0, 0.06))  # the Bot API answering
                starts.append(start)
                counted.append(rng.choice((start, time.now)))  # either end, the worst cases
                per_chat[str(chat)].append((start, time.now))
                await worker.settle("telegram", str(chat))
        finally:
            time.done()

    await asyncio.gather(*(chain(chat) for chat in range(chats)))
    return starts, counted, per_chat


def one_chat_a_second(per_chat: dict[str, list[tuple[float, float]]]) -> bool:
    """Each chat's next send started a second or more after the previous one's answer."""
    return all(
        b[0] - a[1] >= 1.0 - 1e-9
        for sends in per_chat.values()
        for a, b in itertools.pairwise(sends)
    )


async def test_the_bots_window_holds_wherever_the_server_counts_a_send() -> None:
    time = OverlappingTime(tasks=40)
    starts, counted, per_chat = await chains_of_sends([limiter(time)], time)
    assert most_in_a_window(counted, 1.0) <= 30
    assert one_chat_a_second(per_chat)
    assert len(starts) / max(starts) >= 0.95 * 30  # 40 chats want more: the bot's limit binds


async def test_workers_sharing_rate_slots_keep_telegrams_limits(services: Services) -> None:
    if services.db.dialect != "postgresql":
        pytest.skip("SQLite runs one worker; its buckets are in memory")
    time = OverlappingTime(tasks=40)
    slots = PostgresSlots(services.db, clock=time.monotonic)  # the rows on the fake clock
    workers = [limiter(time, slots=slots) for _ in range(3)]
    starts, _, per_chat = await chains_of_sends(workers, time)
    assert len(starts) == 160 and most_in_a_window(starts, 1.0) <= 30
    assert one_chat_a_second(per_chat)


async def test_one_worker_holding_the_lease_paces_as_in_memory(services: Services) -> None:
    time = OverlappingTime(tasks=40)
    slots = shared(services, time)
    starts, counted, per_chat = await chains_of_sends([limiter(time, slots=slots)], time)
    assert most_in_a_window(counted, 1.0) <= 30
    assert one_chat_a_second(per_chat)
    assert len(starts) / max(starts) >= 0.95 * 30  # late wake-ups lose nothing, as in memory


async def test_a_worker_joining_mid_run_keeps_telegrams_limits(services: Services) -> None:
    time = OverlappingTime(tasks=40)
    slots = shared(services, time)
    workers = [limiter(time, slots=slots) for _ in range(2)]
    starts, counted, per_chat = await chains_of_sends(workers, time, rounds=8, joining=3.0)
    assert len(starts) == 320 and most_in_a_window(counted, 1.0) <= 30
    assert one_chat_a_second(per_chat)
