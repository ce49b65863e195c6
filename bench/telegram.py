"""Figure `telegram`: a burst of N citizens filing information requests through the Bot API
emulator, 20 at once, against the real channel (long polling, the inbox, the lanes, the
handlers) and the dispatcher that sends their answers.

Each citizen goes through the request form as a person would (/start, the kind, six answers,
two choices, "Kirim"), waiting for the bot's answer before the next step; the figure is the
updates handled per second over the burst and the p99 of the handler time per update: the
receiver's whole handling of it, from counting the attempt in the inbox to the commit of its
state, answers and `done` (`process_update_p99_ms`: the Application's part within it), and the
p99 from each update's inbox commit to the end of its handling (`queue_p99_ms`: the wait for a
lane included, so a bounded number of handlers in flight cannot hide a queue). `--limits` makes
the emulator enforce Telegram's flood limits (a citizen then waits a second between answers in
one chat). `cpu_ms_per_update` is the bot process's CPU while the citizens ran, an update (its
handling, storing, the claims, the answers' sends); `--cpu-of module:Class.method` (repeatable)
adds what one call of that coroutine function costs (bench/cpu_of.py), e.g.
`--cpu-of scheduler.dispatch:Dispatcher._claim`.

The Bot API emulator and the citizens run in a process of their own (bench/telegram_world.py):
Telegram and its users are not in Loket's process, and measured in it they took a large share
of its event loop. `--inline-emulator` runs them in the measured process, as the figure did
before.

`--burst`: the N citizens each send BURST commands at once, without waiting (a broadcast that
everyone answers); the figure is the updates persisted per second (the receiver's getUpdates
and inbox commits, from the first update sent to the last committed), the handler p99 over
them, and the seconds until every answer went out.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from app.heap import frozen_startup
from bench.common import (
    backend_of,
    bench_database,
    emit,
    peak_rss_mb,
    percentile_ms,
    reset_peak_rss,
)
from bench.cpu_of import CpuOf
from bench.telegram_channel import telegram_channel
from bench.telegram_world import AT_ONCE, World, burst, filing
from sandbox.telegram_api.limits import RateLimits
from sandbox.telegram_api.server import BotApiEmulator
from scheduler.dispatch import Dispatcher
from store.db import Database
from store.migrate import upgrade
from tests.support.telegram import TOKEN


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--limits: the emulator enforces Telegram's flood limits; --burst: updates at once;
    --inline-emulator: the emulator and the citizens in the measured process (as before)."""
    parser.add_argument("--limits", action="store_true", help="enforce Telegram's limits")
    parser.add_argument("--burst", action="store_true", help="every update at once")
    parser.add_argument(
        "--cpu-of",
        action="append",
        default=[],
        metavar="MODULE:NAME",
        help="also report the CPU a call of this coroutine function costs (bench/cpu_of.py)",
    )
    parser.add_argument(
        "--inline-emulator",
        action="store_true",
        help="run the Bot API emulator and the citizens in the measured process",
    )


class Timings:
    """When each update was committed to the inbox and when its handling ended, and how long
    each handling took (the whole of it, and the Application's process_update within it)."""

    def __init__(self) -> None:
        self.stored: list[tuple[float, int]] = []  # (when a store commit returned, new ones)
        self.stored_at: dict[str, float] = {}  # update id -> when it was first committed
        self.done_at: dict[str, float] = {}  # update id -> when its handling ended
        self.handled: list[float] = []  # seconds of each handling (inbox begin to done)
        self.processed: list[float] = []  # seconds of each process_update

    def install(self, receiver: Any) -> None:
        """Time `receiver`'s inbox commits, its handling of each update, and process_update."""
        store, handle = receiver.inbox.store, receiver.lanes.handle
        process = receiver.app.process_update

        async def stored(items: Any, now: Any) -> int:
            new = await store(items, now)
            at = time.perf_counter()
            self.stored.append((at, new))
            for item in items:
                self.stored_at.setdefault(item.external_id, at)
            return int(new)

        async def handled(item: Any) -> None:
            start = time.perf_counter()
            try:
                await handle(item)
            finally:
                self.done_at[item.external_id] = end = time.perf_counter()
                self.handled.append(end - start)

        async def processed(update: object) -> None:
            start = time.perf_counter()
            try:
                await process(update)
            finally:
                self.processed.append(time.perf_counter() - start)

        receiver.inbox.store, receiver.lanes.handle = stored, handled
        receiver.app.process_update = processed

    def queue_waits(self) -> list[float]:
        """Seconds from each update's inbox commit to the end of its handling."""
        return [end - self.stored_at[k] for k, end in self.done_at.items() if k in self.stored_at]


class InlineWorld:
    """The emulator and the citizens in this process (`--inline-emulator`, as before)."""

    def __init__(self, n: int, limits: bool, bursting: bool) -> None:
        self.n, self.limits, self.bursting = n, limits, bursting
        self.api: BotApiEmulator | None = None

    async def start(self) -> BotApiEmulator:
        """Start the emulator; it is its own address."""
        self.api = await BotApiEmulator(TOKEN, limits=RateLimits() if self.limits else None).start()
        return self.api

    async def run(self) -> dict[str, float]:
        """Let the citizens go; what they measured."""
        assert self.api is not None
        return await (burst(self.api, self.n) if self.bursting else filing(self.api, self.n))

    async def close(self) -> None:
        """Stop the emulator."""
        if self.api is not None:
            await self.api.stop()


async def measure(
    url: str,
    n: int,
    limits: bool,
    bursting: bool = False,
    inline: bool = False,
    cpu_of: Sequence[str] = (),
) -> dict[str, Any]:
    """Run the figure; what the citizens measured, the bot's timings, the process's CPU while
    the citizens ran (`cpu`) and, with `cpu_of`, those functions' (bench/cpu_of.py)."""
    world = InlineWorld(n, limits, bursting) if inline else World(n, limits, bursting)
    address: Any = await world.start() if isinstance(world, InlineWorld) else world.address
    db = Database.from_url(url)
    timings = Timings()
    costs = CpuOf()
    got: dict[str, Any] = {}
    try:
        await upgrade(db)
        with TemporaryDirectory(prefix="loket-bench-") as tmp:
            services, parts = telegram_channel(url, db, address, Path(tmp))
            settings = services.settings
            runner: Any = parts.runner
            runner.poll_timeout = 1
            dispatcher = Dispatcher(
                db, {"telegram": parts.sender}, services.clock, settings=settings
            )
            stop = asyncio.Event()
            await runner.start()  # nothing is stored yet: the timings see every update
            timings.install(runner.receiver)
            loop = asyncio.create_task(dispatcher.run_forever(stop))
            reset_peak_rss()
            cpu = time.process_time()
            with frozen_startup(), costs.measuring(cpu_of):  # frozen as in `loket run`
                got = await world.run()
            got["cpu"] = time.process_time() - cpu
            if bursting:  # every answer is out, so every update was stored
                got["persisted"] = max(t for t, _ in timings.stored) - got["start"]
            stop.set()
            await loop
            await dispatcher.settle()
            await runner.stop()
        return {**got, "timings": timings, "cpu_of": costs.report()}
    finally:
        await db.dispose()
        if isinstance(world, InlineWorld):
            await world.close()
        else:
            world.close()


def run(args: argparse.Namespace) -> None:
    """Print the figure."""
    with bench_database(args.database_url, args.backend, "bench_telegram") as url:
        got = asyncio.run(
            measure(url, args.n, args.limits, args.burst, args.inline_emulator, args.cpu_of)
        )
        backend = backend_of(url)
    timings: Timings = got["timings"]
    p99 = percentile_ms(timings.handled)
    times = {
        "p99_ms": p99,  # the whole handling of an update: inbox begin to its commit with done
        "p50_ms": percentile_ms(timings.handled, 0.5),
        "process_update_p99_ms": percentile_ms(timings.processed),
        # From the update's inbox commit to the end of its handling: the wait for a lane too.
        "queue_p50_ms": percentile_ms(timings.queue_waits(), 0.5),
        "queue_p99_ms": percentile_ms(timings.queue_waits()),
        # The bot's process (its event loop and the database driver's thread) a citizen's
        # update: handling, storing, claiming and sending the answers.
        "cpu_ms_per_update": round(got["cpu"] / got["updates"] * 1000, 3),
        **({"cpu_of": got["cpu_of"]} if args.cpu_of else {}),
    }
    if args.burst:
        rate = got["updates"] / got["persisted"]
        emit(
            "telegram", args.n, backend,
            f"burst of {got['updates']} updates from {args.n} citizens: {rate:.0f} updates/s "
            f"persisted, handler p99 {p99:.0f} ms (persisted to handled p99 "
            f"{times['queue_p99_ms']:.0f} ms), every answer out in {got['answered']:.1f} s",
            burst=True, persisted_per_second=round(rate, 1), updates=got["updates"],
            persisted_seconds=round(got["persisted"], 3),
            answered_seconds=round(got["answered"], 2),
            **times, limits=args.limits, peak_rss_mb=peak_rss_mb(),
        )  # fmt: skip
        return
    rate = got["updates"] / got["seconds"]
    emit(
        "telegram", args.n, backend,
        f"{got['updates']} updates from {args.n} citizens ({AT_ONCE} at once) in "
        f"{got['seconds']:.1f} s = {rate:.1f} updates/s handled, handler p99 {p99:.0f} ms"
        + (" (Telegram's limits on)" if args.limits else ""),
        rate=round(rate, 2), updates=got["updates"], seconds=round(got["seconds"], 2),
        **times, limits=args.limits, peak_rss_mb=peak_rss_mb(),
    )  # fmt: skip
