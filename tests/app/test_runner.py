"""`loket run` composition: channels start, the dispatcher sends through their senders, all stop."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from app.runner import serve
from bot.notify.outbox import enqueue
from bot.ports import ChannelParts
from bot.services import Services
from scheduler import tick
from tests.support.senders import ScriptedSender


class RecordingRunner:
    """A channel runner that only records start and stop."""

    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    async def start(self) -> None:
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")


async def test_serve_starts_channels_ticks_sends_outbox_and_stops_in_reverse(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks: list[dt.datetime] = []

    async def job(session: object, rules: object, now: dt.datetime) -> int:
        ticks.append(now)
        return 0

    monkeypatch.setattr(tick, "JOBS", (job,))
    async with services.db.transaction() as session:
        await enqueue(
            session,
            dedup_key="k1",
            channel="telegram",
            recipient="42",
            purpose="test",
            body="halo",
            now=services.clock.now(),
        )
    log: list[str] = []
    sender = ScriptedSender("telegram")
    factories = [
        lambda svc: ChannelParts(RecordingRunner(log, "telegram"), sender),
        lambda svc: None,  # a channel that is not configured
        lambda svc: ChannelParts(RecordingRunner(log, "email"), None),
    ]
    stop = asyncio.Event()
    task = asyncio.create_task(serve(services, stop, factories))
    for _ in range(200):
        if sender.sent and ticks:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert [m.body for m in sender.sent] == ["halo"]
    assert ticks == [services.clock.now()]  # the first tick runs at start
    assert log == ["start telegram", "start email", "stop email", "stop telegram"]
