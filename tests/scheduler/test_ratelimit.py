"""Channel rate limits as sliding windows, on a fake monotonic clock."""

from __future__ import annotations

from scheduler.ratelimit import RateLimiter, channel_buckets


class FakeTime:
    """A monotonic clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


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
    return times


async def test_telegram_one_message_per_second_per_chat() -> None:
    time = FakeTime()
    lim = limiter(time)
    assert await send_times(lim, time, "telegram", ["42", "42", "43", "42"]) == [0, 1, 1, 2]


async def test_telegram_twenty_per_minute_in_a_group() -> None:
    time = FakeTime()
    times = await send_times(limiter(time), time, "telegram", ["-1001"] * 21)
    assert times[:20] == list(range(20)) and times[20] == 60


async def test_telegram_thirty_per_second_overall() -> None:
    time = FakeTime()
    times = await send_times(limiter(time), time, "telegram", [str(i) for i in range(31)])
    assert times == [0] * 30 + [1]


async def test_email_cap_is_a_setting_and_other_channels_are_free() -> None:
    time = FakeTime()
    lim = limiter(time, email_per_second=2)
    assert await send_times(lim, time, "email", ["a", "b", "c"]) == [0, 0, 1]
    slow = FakeTime()
    assert await send_times(limiter(slow, 0.5), slow, "email", ["a", "b"]) == [0, 2]
    assert await send_times(lim, time, "web", ["x"] * 5) == [1] * 5


async def test_whatsapp_keeps_the_pair_rate_limit_of_one_user() -> None:
    time = FakeTime()
    times = await send_times(limiter(time), time, "whatsapp", ["62811"] * 11 + ["62812"])
    assert times[:10] == [0] * 10 and times[10] == 60  # the 11th to one user waits a minute
    assert times[11] == 60  # the clock moved on; another user was never held back by the pair
