"""`loket run` composition: channels start, the dispatcher sends through their senders, all stop."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc

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


class SplitRunner:
    """A channel whose inbox and webhook run on every worker and whose polling is a role."""

    def __init__(self, log: list[str], worker: str) -> None:
        self.everywhere = RecordingRunner(log, f"{worker} inbox")
        self.polling = RecordingRunner(log, f"{worker} polling")

    def on_every_worker(self) -> RecordingRunner:
        return self.everywhere

    async def roles(self) -> list[tuple[str, RecordingRunner]]:
        return [("channel:split", self.polling)]

    async def start(self) -> None:
        raise AssertionError("loket run starts the parts, never the whole")

    async def stop(self) -> None:
        raise AssertionError("loket run stops the parts, never the whole")


async def test_every_worker_runs_the_inbox_part_and_one_worker_the_role(
    services: Services,
) -> None:
    log: list[str] = []
    stops = [asyncio.Event(), asyncio.Event()]
    tasks = []
    for worker, stop in zip(("a", "b"), stops, strict=True):
        factory = lambda svc, w=worker: ChannelParts(SplitRunner(log, w), None)  # noqa: E731
        tasks.append(asyncio.create_task(serve(services, stop, [factory])))
        for _ in range(500):
            if f"start {worker} inbox" in log and "start a polling" in log:
                break
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # b's first round of the roles is done (it refused or stands by)
    for stop, task in zip(stops, tasks, strict=True):
        stop.set()
        await asyncio.wait_for(task, 10)
    assert {"start a inbox", "start b inbox", "start a polling"} <= set(log)
    assert "start b polling" not in log
    # each worker stops its role before its inbox part
    assert log.index("stop a polling") < log.index("stop a inbox")


async def test_serve_keeps_start_ups_objects_out_of_full_collections_until_it_stops(
    services: Services,
) -> None:
    # A full collection walked every object start-up built (70-95 ms of a stopped event loop,
    # issue #11): while serving they are frozen, and handed back to the collector after.
    log: list[str] = []
    factories = [lambda svc: ChannelParts(RecordingRunner(log, "telegram"), None)]
    stop = asyncio.Event()
    task = asyncio.create_task(serve(services, stop, factories))
    for _ in range(200):
        if gc.get_freeze_count() > 0:
            break
        await asyncio.sleep(0.01)
    frozen = gc.get_freeze_count()
    stop.set()
    await asyncio.wait_for(task, 10)
    assert frozen > 1000  # the modules, classes and mappers of start-up
    assert gc.get_freeze_count() == 0
