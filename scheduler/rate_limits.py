"""The send-rate limits of each channel, as buckets a send counts against.

Telegram's documented limits (core.telegram.org/bots/faq, "broadcasting to users"): about 30
messages per second overall, no more than one per second in one chat, and no more than 20 per
minute in one group (group chat ids are negative). Mail servers set their own limit, so the
email cap is a setting (OUTBOX_EMAIL_PER_SECOND). WhatsApp's Cloud API (developers.facebook.com,
"Throughput" and "pair rate limit"): 80 messages per second per business number, and about one
message every 6 seconds to one user (10 a minute, bursts allowed).

The first bucket of a channel's list is channel-wide (the bot, the business number, the mail
server); the others belong to one recipient (its chat, its group, its user pair). Every window
is kept a margin longer than the channel's own (scheduler/ratelimit.py paces them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from store.enums import Channel

MARGIN = 0.03  # windows are kept 3 % longer than the channel's own
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
