"""Cloud API error codes (developers.facebook.com, "WhatsApp error codes") sorted by what the
outbox must do about them."""

from __future__ import annotations

from bot.notify.delivery import PermanentFailure, TemporaryFailure
from channels.whatsapp.graph import GraphError

WINDOW_CLOSED = 131047  # Re-engagement message: more than 24 h since the citizen wrote
# Throughput (130429), pair rate (131056), spam rate (131048), API calls (80007): wait.
RATE_LIMITED = frozenset({130429, 131056, 131048, 80007})
RATE_LIMIT_WAIT = 60.0  # seconds; the dispatcher doubles it on each further attempt
# The citizen's number cannot receive: undeliverable, not on WhatsApp / blocked, own number,
# not allowed (test numbers), unsupported by the recipient's app. Like an email bounce.
CONTACT_FAULT = frozenset({131026, 131021, 131030, 131045, 131051, 131052, 131053})


def delivery_failure(exc: GraphError) -> TemporaryFailure | PermanentFailure:
    """The outbox's view of a Graph error: only a fault of the citizen's number is permanent
    (it marks the contact failing); rate limits wait; our own configuration faults (token,
    template, parameters) are retried and, if they persist, fail the row without blaming the
    citizen's contact."""
    reason = str(exc)
    if exc.code in CONTACT_FAULT:
        return PermanentFailure(reason)
    if exc.code in RATE_LIMITED:
        return TemporaryFailure(reason, retry_after=RATE_LIMIT_WAIT)
    return TemporaryFailure(reason)
