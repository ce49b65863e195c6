"""How often and how long the dispatcher retries a row, and what one drain did."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings

MIN_RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry, and how long a claim is reserved."""

    max_attempts: int = 12
    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    lease_seconds: float = 600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The policy configured by the OUTBOX_* settings."""
        return cls(
            max_attempts=settings.outbox_max_attempts,
            base_seconds=settings.outbox_retry_base_seconds,
            max_seconds=settings.outbox_retry_max_seconds,
            lease_seconds=settings.outbox_lease_seconds,
        )

    def delay(self, attempts: int, retry_after: float | None) -> float:
        """Seconds before the next attempt: the channel's `retry_after` if given, else
        base x 2^(attempts-1) capped at the maximum; never less than one second.
        """
        if retry_after is not None:
            return max(MIN_RETRY_SECONDS, retry_after)
        return max(
            MIN_RETRY_SECONDS, min(self.max_seconds, self.base_seconds * 2 ** (attempts - 1))
        )


@dataclass
class DrainSummary:
    """What one drain did: rows claimed, sent, rescheduled, failed, and handed back on a stop."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0
    claimed: int = 0
