"""Singleton roles on real leases: one holder at a time, a standby takes over on PostgreSQL,
a lost lease stops the worker's roles, SQLite refuses a second holder once, clearly."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text

from app.settings import Settings
from bot.singletons import RoleSupervisor, SingletonRole
from store.db import Database
from store.leadership import Leases


class Journal:
    """Roles whose start and stop are written down, per worker."""

    def __init__(self) -> None:
        self.entries: list[str] = []

    def roles(self, worker: str, *names: str, failing: str | None = None) -> list[SingletonRole]:
        def start(name: str):  # type: ignore[no-untyped-def]
            async def go() -> None:
                if name == failing:
                    raise RuntimeError(f"{name} cannot start")
                self.entries.append(f"{worker} start {name}")

            return go

        def stop(name: str):  # type: ignore[no-untyped-def]
            async def go() -> None:
                self.entries.append(f"{worker} stop {name}")

            return go

        return [SingletonRole(n, start(n), stop(n)) for n in names]


def _supervisor(settings: Settings, roles: list[SingletonRole]) -> RoleSupervisor:
    return RoleSupervisor(Leases(settings.database_url), roles, retry_seconds=0.05,
                          language="en")  # fmt: skip


async def _until(condition) -> None:  # type: ignore[no-untyped-def]
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


async def test_one_holder_per_role_and_the_standby_takes_over(
    settings: Settings, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("standbys are PostgreSQL's")
    journal = Journal()
    first = _supervisor(settings, journal.roles("a", "scheduler", "channel:telegram"))
    second = _supervisor(settings, journal.roles("b", "scheduler", "channel:telegram"))
    await first.start()
    await second.start()
    await asyncio.sleep(0.3)  # several rounds of b's retries
    assert first.running == {"scheduler", "channel:telegram"} and second.running == set()
    await first.stop()
    await _until(lambda: second.running == {"scheduler", "channel:telegram"})
    await second.stop()
    entries = journal.entries
    assert [e for e in entries if e.startswith("a ")] == [
        "a start scheduler", "a start channel:telegram",
        "a stop channel:telegram", "a stop scheduler",
    ]  # fmt: skip
    # b takes each role as its lease comes free: a releases them one after the other, so b may
    # take the first freed one while a still stops the other, and in either order
    b_entries = [e for e in entries if e.startswith("b ")]
    assert set(b_entries[:2]) == {"b start scheduler", "b start channel:telegram"}
    assert b_entries[2:] == ["b stop channel:telegram", "b stop scheduler"]
    for role in ("scheduler", "channel:telegram"):  # never two holders of one role at once
        assert entries.index(f"a stop {role}") < entries.index(f"b start {role}")


async def test_a_lost_lease_stops_the_roles_and_asks_the_worker_to_end(
    settings: Settings, db: Database, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("a lease is lost with its PostgreSQL connection")
    journal = Journal()
    holder = _supervisor(settings, journal.roles("a", "scheduler"))
    await holder.start()
    async with db.engine.connect() as conn:  # the connection dies (server restart, network)
        await conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
        ))  # fmt: skip
        await conn.commit()
    await asyncio.wait_for(holder.lost.wait(), 10)
    assert holder.running == set()
    assert journal.entries == ["a start scheduler", "a stop scheduler"]
    await holder.stop()
    # The role is free again for a standby.
    standby = _supervisor(settings, journal.roles("b", "scheduler"))
    await standby.start()
    assert standby.running == {"scheduler"}
    await standby.stop()


async def test_on_sqlite_a_second_holder_refuses_once_in_one_sentence(
    settings: Settings, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    if backend != "sqlite":
        pytest.skip("the refusal is SQLite's")
    journal = Journal()
    first = _supervisor(settings, journal.roles("a", "scheduler"))
    second = _supervisor(settings, journal.roles("b", "scheduler"))
    await first.start()
    with caplog.at_level(logging.ERROR, logger="bot.singletons"):
        await second.start()
        await asyncio.sleep(0.3)
    refusals = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(refusals) == 1 and refusals[0].startswith(
        "Role scheduler is already run by another `loket run` on this SQLite database (process "
    )
    await first.stop()
    await asyncio.sleep(0.3)
    assert second.running == set()  # SQLite: one worker; the second never takes over
    await second.stop()
    assert journal.entries == ["a start scheduler", "a stop scheduler"]


async def test_a_role_failing_at_start_stops_the_started_ones_and_raises(
    settings: Settings,
) -> None:
    journal = Journal()
    worker = _supervisor(settings, journal.roles("a", "channel:email", "channel:telegram",
                                                 failing="channel:telegram"))  # fmt: skip
    with pytest.raises(RuntimeError, match="channel:telegram cannot start"):
        await worker.start()
    assert journal.entries == ["a start channel:email", "a stop channel:email"]
    # Everything was released: a new worker gets both roles.
    again = _supervisor(settings, journal.roles("b", "channel:email", "channel:telegram"))
    await again.start()
    assert again.running == {"channel:email", "channel:telegram"}
    await again.stop()
