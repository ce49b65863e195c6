"""Channel rate limits: a margin below the channels' own, one chat's wait never holding up
another, retry_after honoured; shared by every worker on PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.services import Services
from scheduler.rate_slots import shared_slots
from scheduler.ratelimit import MARGIN, RateLimiter, channel_buckets


class FakeTime:
    """A monotonic clock that only moves when the limiter sleeps (or when told)."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)  # as a real sleep, other tasks run meanwhile


def limiter(time: FakeTime, email_per_second: float = 5) -> RateLimiter:
    """The production limits on the fake clock."""
    return RateLimiter(
        channel_buckets(email_per_second), monotonic=time.monotonic, sleep=time.sleep
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


async def test_telegram_overall_just_under_thirty_a_second_evenly() -> None:
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


async def test_workers_share_the_buckets_on_postgresql(services: Services) -> None:
    slots = shared_slots(services.db)
    if slots is None:
        pytest.skip("SQLite runs one worker; its buckets are in memory")
    one, two = (RateLimiter(channel_buckets(5), slots=slots, sleep=_no_sleep) for _ in "12")
    waits = [await one.acquire("telegram", "42"), await two.acquire("telegram", "42")]
    assert waits[0] == 0 and waits[1] > 0.9  # the second worker waits for the first's send
    await one.back_off("telegram", "43", 30, whole_channel=True)
    assert await two.acquire("telegram", "44") > 25  # Telegram told one worker: all wait


async def _no_sleep(_seconds: float) -> None:
    return None
