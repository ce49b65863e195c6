"""Send-rate buckets shared by every worker of an installation (PostgreSQL).

Why a table, not per-worker shares of the budget: the limits are Telegram's (and WhatsApp's,
and the mail server's) per bot, and also per chat; a share per worker would have to follow
workers joining and dying, and would waste the share of an idle worker. Instead each bucket is
one row of `rate_slots` holding the next instant (the database's own clock, so workers on
different machines agree) a send counted against it may start. A reservation locks the
bucket rows (in key order, so two workers never deadlock), takes the latest of their next
instants and now, and moves each bucket on by its spacing, all in one short transaction: a
send costs one round trip per stage (its recipient's buckets, then the channel's).

SQLite has one worker (#13: a second one refuses its singleton roles), so there the limiter
keeps its buckets in memory (scheduler/ratelimit.py) and `shared_slots` returns None.
"""

from __future__ import annotations

from sqlalchemy import text

from scheduler.ratelimit import Bucket
from store.db import Database

_NOW = "EXTRACT(EPOCH FROM clock_timestamp())"
_KEYS = "CAST(:keys AS varchar[])"


class PostgresSlots:
    """The `rate_slots` rows as the limiter's SlotStore."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def reserve(self, buckets: list[Bucket]) -> float:
        """Reserve the next start shared by `buckets`; seconds to wait until it."""
        ordered = sorted(buckets)
        keys = [key for key, _ in ordered]
        async with self.db.transaction() as session:
            await (await session.connection()).execute(
                text(
                    f"INSERT INTO rate_slots (bucket, next_at) SELECT k, 0 FROM unnest({_KEYS}) k"
                    " ON CONFLICT (bucket) DO NOTHING"
                ),
                {"keys": keys},
            )
            rows = await (await session.connection()).execute(
                text(
                    f"SELECT bucket, next_at, {_NOW} FROM rate_slots WHERE bucket = ANY({_KEYS})"
                    " ORDER BY bucket FOR UPDATE"
                ),
                {"keys": keys},
            )
            found = rows.all()
            now = float(found[0][2])
            start = max([now, *(float(r[1]) for r in found)])
            for key, limit in ordered:
                await (await session.connection()).execute(
                    text("UPDATE rate_slots SET next_at = :at WHERE bucket = :key"),
                    {"at": start + limit.spacing, "key": key},
                )
        return max(0.0, start - now)

    async def push(self, keys: list[str], seconds: float) -> None:
        """No bucket of `keys` starts a send within the next `seconds`."""
        async with self.db.transaction() as session:
            for key in sorted(keys):
                await (await session.connection()).execute(
                    text(
                        "INSERT INTO rate_slots (bucket, next_at) VALUES (:key, 0)"
                        " ON CONFLICT (bucket) DO NOTHING"
                    ),
                    {"key": key},
                )
                await (await session.connection()).execute(
                    text(
                        f"UPDATE rate_slots SET next_at = GREATEST(next_at, {_NOW} + :s)"
                        " WHERE bucket = :key"
                    ),
                    {"key": key, "s": seconds},
                )


def shared_slots(db: Database) -> PostgresSlots | None:
    """The installation's shared buckets on PostgreSQL; None on SQLite (one worker)."""
    return PostgresSlots(db) if db.dialect == "postgresql" else None
