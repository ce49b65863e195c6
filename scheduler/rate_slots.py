"""Send-rate state shared by every worker of an installation (PostgreSQL).

The limits are Telegram's (WhatsApp's, the mail server's) per bot and per chat, however many
workers send for it; a share of the budget per worker would have to follow workers joining and
dying, and would waste an idle worker's share. Two tables, on the database's own clock (so
workers on different machines agree), each statement one short transaction:

- `rate_leases`: one row per channel-wide bucket (the bot, the business number, the mail
  server): the worker that alone paces it until `expires_at` (scheduler/ratelimit.py), the
  worker that asked for it next (an ask stands WANT_FRESH unless renewed), and what the last
  holder handed over (its recent sends, the end of a whole-channel retry_after). `take` renews
  the caller's lease, or takes a free or lapsed one unless another worker asked first, or else
  records the caller's ask; `release` hands it over; `block` makes whoever holds it next wait.
- `rate_slots`: one row per shared bucket of more than one send a window that is not
  channel-wide (a group's 20 a minute, a WhatsApp user's 10 a minute), holding the next instant
  a send counted against it may start. `reserve` locks the rows in key order (two workers never
  deadlock), takes the latest of their instants and now, and moves each on by its spacing (one
  bucket: a single upsert); `push` moves them past a retry_after.

SQLite has one worker (#13: a second one refuses its singleton roles), so there the limiter
keeps all of it in memory and `shared_slots` returns None.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from sqlalchemy import text

from scheduler.rate_limits import Bucket, Limit
from scheduler.ratelimit import Grant
from store.db import Database

_DB_NOW = "EXTRACT(EPOCH FROM clock_timestamp())"
_KEYS = "CAST(:keys AS varchar[])"
WANT_FRESH = 1.0  # a worker's request for a lease stands this long unless renewed


class PostgresSlots:
    """The `rate_slots` rows as the limiter's SlotStore."""

    def __init__(self, db: Database, clock: Callable[[], float] | None = None) -> None:
        """`clock`: seconds on a clock every worker shares; None is the database's own
        (tests pass their fake clock, as instants in the rows are then theirs)."""
        self.db, self._clock = db, clock
        self._now = _DB_NOW if clock is None else "CAST(:now AS float8)"

    def _params(self, **params: object) -> dict[str, object]:
        return params if self._clock is None else {**params, "now": self._clock()}

    async def reserve(self, buckets: list[Bucket]) -> float:
        """Reserve the next start shared by `buckets`; seconds to wait until it."""
        if len(buckets) == 1:
            return await self._reserve_one(*buckets[0])
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
                    f"SELECT bucket, next_at, {self._now} FROM rate_slots"
                    f" WHERE bucket = ANY({_KEYS}) ORDER BY bucket FOR UPDATE"
                ),
                self._params(keys=keys),
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

    async def _reserve_one(self, key: str, limit: Limit) -> float:
        """One bucket's next start in a single statement (the upsert locks and moves it);
        seconds to wait until it."""
        block = limit.spacing
        async with self.db.transaction() as session:
            row = (
                await (await session.connection()).execute(
                    text(
                        f"WITH t AS (SELECT {self._now} AS now)"
                        " INSERT INTO rate_slots (bucket, next_at)"
                        " SELECT :key, t.now + :block FROM t ON CONFLICT (bucket) DO UPDATE"
                        " SET next_at = GREATEST(rate_slots.next_at + :block, EXCLUDED.next_at)"
                        " RETURNING rate_slots.next_at, (SELECT now FROM t)"
                    ),
                    self._params(key=key, block=block),
                )
            ).one()
        wait = float(row[0]) - block - float(row[1])
        return wait if wait > 1e-6 else 0.0  # (now + block) - block is now, give or take

    async def push(self, keys: list[str], seconds: float) -> None:
        """No bucket of `keys` starts a send within the next `seconds`."""
        async with self.db.transaction() as session:
            await (await session.connection()).execute(
                text(
                    f"INSERT INTO rate_slots (bucket, next_at)"
                    f" SELECT k, {self._now} + :s FROM unnest({_KEYS}) k ORDER BY k"
                    " ON CONFLICT (bucket) DO UPDATE"
                    " SET next_at = GREATEST(rate_slots.next_at, EXCLUDED.next_at)"
                ),
                self._params(keys=sorted(keys), s=seconds),
            )

    async def take(self, key: str, holder: str, seconds: float, clear: float) -> Grant | None:
        """Hold `key` alone for `seconds` (renewed if `holder` holds it; taken if it is free,
        or its holder's lease ran out, and no other worker asked first); None when another
        worker holds it (this one is then the next to get it, unless one asked first)."""
        params = self._params(key=key, holder=holder, s=seconds)
        async with self.db.transaction() as session:
            conn = await session.connection()
            renewed = (
                await conn.execute(
                    text(
                        f"WITH t AS (SELECT {self._now} AS now) UPDATE rate_leases"
                        " SET expires_at = t.now + :s FROM t"
                        " WHERE bucket = :key AND holder = :holder"
                        " RETURNING wanted_by, wanted_at, t.now"
                    ),
                    params,
                )
            ).one_or_none()
            if renewed is not None:
                other = renewed[0] not in ("", holder) and renewed[1] > renewed[2] - WANT_FRESH
                return Grant(seconds, wanted=other)
            await conn.execute(
                text(
                    "INSERT INTO rate_leases (bucket, holder, expires_at, wanted_by, wanted_at,"
                    " blocked_until, history) VALUES (:key, '', 0, '', 0, 0, '[]')"
                    " ON CONFLICT (bucket) DO NOTHING"
                ),
                params,
            )
            row = (
                await conn.execute(
                    text(
                        "SELECT holder, expires_at, wanted_by, wanted_at, blocked_until, history,"
                        f" {self._now} FROM rate_leases WHERE bucket = :key FOR UPDATE"
                    ),
                    params,
                )
            ).one()
            now = float(row[6])
            expired = row[0] != "" and float(row[1]) <= now
            asked = row[2] not in ("", holder) and float(row[3]) > now - WANT_FRESH
            if (row[0] != "" and not expired) or asked:  # held, or promised to another
                if not asked:
                    await conn.execute(
                        text(
                            "UPDATE rate_leases SET wanted_by = :holder,"
                            " wanted_at = CAST(:at AS float8) WHERE bucket = :key"
                        ),
                        {**params, "at": now},
                    )
                return None
            await conn.execute(
                text(
                    "UPDATE rate_leases SET holder = :holder, expires_at = CAST(:until AS float8),"
                    " wanted_by = '', wanted_at = 0 WHERE bucket = :key"
                ),
                {**params, "until": now + seconds},
            )
        # A holder that died may have sent up to the end of its lease: wait out its windows.
        clear_in = float(row[1]) + clear - now if expired else 0.0
        history = [(k, now - float(at)) for k, at in json.loads(row[5])]
        return Grant(
            seconds, taken=True, clear_in=max(0.0, clear_in),
            blocked_for=max(0.0, float(row[4]) - now), history=history,
        )  # fmt: skip

    async def release(
        self, key: str, holder: str, history: Sequence[tuple[str, float]], blocked_for: float
    ) -> None:
        """Give up `key` (if `holder` holds it), handing over its recent sends (bucket, seconds
        ago) and how long the whole channel must still wait."""
        async with self.db.transaction() as session:
            conn = await session.connection()
            found = (
                await conn.execute(
                    text(
                        f"SELECT {self._now} FROM rate_leases"
                        " WHERE bucket = :key AND holder = :holder FOR UPDATE"
                    ),
                    self._params(key=key, holder=holder),
                )
            ).one_or_none()
            if found is None:
                return
            now = float(found[0])
            await conn.execute(
                text(
                    "UPDATE rate_leases SET holder = '', expires_at = CAST(:now AS float8),"
                    " history = :history,"
                    " blocked_until = GREATEST(blocked_until, CAST(:blocked AS float8))"
                    " WHERE bucket = :key"
                ),
                {
                    "key": key,
                    "now": now,
                    "history": json.dumps([[k, now - age] for k, age in history]),
                    "blocked": now + blocked_for,
                },
            )

    async def block(self, key: str, seconds: float) -> None:
        """No worker that takes `key` next starts a send within the next `seconds`."""
        async with self.db.transaction() as session:
            await (await session.connection()).execute(
                text(
                    "INSERT INTO rate_leases (bucket, holder, expires_at, wanted_by, wanted_at,"
                    f" blocked_until, history) VALUES (:key, '', 0, '', 0, {self._now} + :s, '[]')"
                    " ON CONFLICT (bucket) DO UPDATE SET blocked_until ="
                    " GREATEST(rate_leases.blocked_until, EXCLUDED.blocked_until)"
                ),
                self._params(key=key, s=seconds),
            )


def shared_slots(db: Database) -> PostgresSlots | None:
    """The installation's shared buckets on PostgreSQL; None on SQLite (one worker)."""
    return PostgresSlots(db) if db.dialect == "postgresql" else None
