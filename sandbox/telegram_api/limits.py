"""Telegram's flood limits as the Bot API emulator enforces them, on an injectable clock.

Telegram documents three limits for bots (core.telegram.org/bots/faq, "My bot is hitting
limits"): about 30 messages per second overall, about one per second in one chat, and at most
20 per minute in one group. Over a limit the API answers 429 with `parameters.retry_after`.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RateLimits:
    """Each limit is (messages, period in seconds) over a sliding window."""

    overall: tuple[int, float] = (30, 1.0)
    per_chat: tuple[int, float] = (1, 1.0)
    per_group: tuple[int, float] = (20, 60.0)


class ManualClock:
    """A monotonic clock that only moves when told to: rate-limit tests stay deterministic."""

    def __init__(self, start: float = 1000.0) -> None:
        self.value = start

    def __call__(self) -> float:
        """The current reading in seconds."""
        return self.value

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.value += seconds


@dataclass
class FloodControl:
    """Sliding-window counters per overall/chat/group; `check` admits or names the wait."""

    limits: RateLimits = field(default_factory=RateLimits)
    clock: Callable[[], float] = time.monotonic
    _sent: dict[tuple[str, int], deque[float]] = field(
        default_factory=lambda: defaultdict(deque), init=False
    )

    def check(self, chat_id: int) -> int | None:
        """Record one message to `chat_id` and return None, or return the seconds to wait.

        A refused message is not recorded (Telegram does not count what it rejects).
        """
        now = self.clock()
        windows = [(("overall", 0), self.limits.overall), (("chat", chat_id), self.limits.per_chat)]
        if chat_id < 0:
            windows.append((("group", chat_id), self.limits.per_group))
        wait = 0.0
        for key, (maximum, period) in windows:
            stamps = self._sent[key]
            while stamps and stamps[0] <= now - period:
                stamps.popleft()
            if len(stamps) >= maximum:
                wait = max(wait, stamps[0] + period - now)
        if wait > 0:
            return max(1, math.ceil(wait))
        for key, _ in windows:
            self._sent[key].append(now)
        return None
