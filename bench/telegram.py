"""Figure `telegram`: a burst of N citizens filing information requests through the Bot API
emulator, 20 at once, against the real channel (long polling, the inbox, the lanes, the
handlers) and the dispatcher that sends their answers.

Each citizen goes through the request form as a person would (/start, the kind, six answers,
two choices, "Kirim"), waiting for the bot's answer before the next step; the figure is the
updates handled per second over the burst and the p99 of the handler time per update (the
Application's process_update, timed around the instance). `--limits` makes the emulator
enforce Telegram's flood limits (a citizen then waits a second between answers in one chat).

`--burst`: the N citizens each send BURST commands at once, without waiting (a broadcast that
everyone answers); the figure is the updates persisted per second (the receiver's getUpdates
and inbox commits, from the first update sent to the last committed), the handler p99 over
them, and the seconds until every answer went out.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.common import (
    backend_of,
    bench_database,
    emit,
    peak_rss_mb,
    percentile_ms,
    reset_peak_rss,
)
from bench.telegram_channel import telegram_channel
from sandbox.telegram_api.limits import RateLimits
from sandbox.telegram_api.server import BotApiEmulator
from scheduler.dispatch import Dispatcher
from store.db import Database
from store.migrate import upgrade
from tests.support.builders import VALID_NIK
from tests.support.telegram import TOKEN

AT_ONCE = 20
ANSWERS = ("Siti Aminah", VALID_NIK, "Jl. Merdeka No. 1, Gambir, Jakarta Pusat", "siti@example.id",
           "Laporan realisasi anggaran dinas tahun 2025", "Penelitian skripsi")  # fmt: skip
TAPS = ("softcopy", "Email", "Kirim")
BURST = ("/start", "/bantuan", "/status", "/bantuan", "/start")  # each answered once


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--limits: the emulator enforces Telegram's flood limits; --burst: updates at once."""
    parser.add_argument("--limits", action="store_true", help="enforce Telegram's limits")
    parser.add_argument("--burst", action="store_true", help="every update at once")


async def citizen(api: BotApiEmulator, user_id: int) -> int:
    """One citizen files a request; the number of updates they sent."""
    who: dict[str, Any] = {"user_id": user_id, "first_name": "Siti", "language_code": "id"}
    await api.push_text("/start", **who)
    last = await api.next_message(user_id, 60)
    steps = 1
    for label in ("Permohonan Informasi",):
        await api.tap(last, label, **who)
        last = await api.next_message(user_id, 60)
        steps += 1
    for answer in ANSWERS:
        await api.push_text(answer, **who)
        last = await api.next_message(user_id, 60)
        steps += 1
    for label in TAPS:
        await api.tap(last, label, **who)
        last = await api.next_message(user_id, 60)
        steps += 1
    await api.next_message(user_id, 60)  # the menu after the proof of request
    return steps


async def burst(api: BotApiEmulator, runner: Any, n: int) -> dict[str, float]:
    """Send every citizen's BURST at once; seconds until all are stored, and until answered."""
    inbox = runner.receiver.inbox
    store = inbox.store
    stored: list[tuple[float, int]] = []

    async def counted(items: Any, now: Any) -> int:
        new = await store(items, now)
        stored.append((time.perf_counter(), new))
        return int(new)

    inbox.store = counted
    total = n * len(BURST)
    start = time.perf_counter()
    for text in BURST:
        for i in range(n):
            await api.push_text(text, user_id=50_000 + i, first_name="Siti", language_code="id")
    await api.wait_until(lambda: sum(c for _, c in stored) >= total, 120)
    persisted = max(t for t, _ in stored) - start
    await api.wait_until(lambda: len(api.messages()) >= total, 300)
    return {"persisted": persisted, "answered": time.perf_counter() - start, "updates": total}


async def measure(url: str, n: int, limits: bool, bursting: bool = False) -> dict[str, Any]:
    """Run the burst; seconds, updates and the handler times."""
    api = await BotApiEmulator(TOKEN, limits=RateLimits() if limits else None).start()
    db = Database.from_url(url)
    handler_seconds: list[float] = []
    got: dict[str, Any] = {}
    try:
        await upgrade(db)
        with TemporaryDirectory(prefix="loket-bench-") as tmp:
            services, parts = telegram_channel(url, db, api, Path(tmp))
            settings = services.settings
            runner: Any = parts.runner
            runner.poll_timeout = 1
            app = runner.worker.app
            process = app.process_update

            async def timed(update: object) -> None:
                start = time.perf_counter()
                try:
                    await process(update)
                finally:
                    handler_seconds.append(time.perf_counter() - start)

            app.process_update = timed
            dispatcher = Dispatcher(
                db, {"telegram": parts.sender}, services.clock, settings=settings
            )
            stop = asyncio.Event()
            await runner.start()
            loop = asyncio.create_task(dispatcher.run_forever(stop))
            reset_peak_rss()
            if bursting:
                got = await burst(api, runner, n)
            else:
                gate = asyncio.Semaphore(AT_ONCE)

                async def one(user_id: int) -> int:
                    async with gate:
                        return await citizen(api, user_id)

                start = time.perf_counter()
                updates = sum(await asyncio.gather(*(one(50_000 + i) for i in range(n))))
                got = {"seconds": time.perf_counter() - start, "updates": updates}
            stop.set()
            await loop
            await dispatcher.settle()
            await runner.stop()
        return {**got, "handlers": handler_seconds}
    finally:
        await db.dispose()
        await api.stop()


def run(args: argparse.Namespace) -> None:
    """Print the figure."""
    with bench_database(args.database_url, args.backend, "bench_telegram") as url:
        got = asyncio.run(measure(url, args.n, args.limits, args.burst))
        backend = backend_of(url)
    p99 = percentile_ms(got["handlers"])
    if args.burst:
        rate = got["updates"] / got["persisted"]
        emit(
            "telegram", args.n, backend,
            f"burst of {got['updates']} updates from {args.n} citizens: {rate:.0f} updates/s "
            f"persisted, handler p99 {p99:.0f} ms, every answer out in {got['answered']:.1f} s",
            burst=True, persisted_per_second=round(rate, 1), updates=got["updates"],
            persisted_seconds=round(got["persisted"], 3),
            answered_seconds=round(got["answered"], 2),
            p99_ms=p99, limits=args.limits, peak_rss_mb=peak_rss_mb(),
        )  # fmt: skip
        return
    rate = got["updates"] / got["seconds"]
    emit(
        "telegram", args.n, backend,
        f"{got['updates']} updates from {args.n} citizens ({AT_ONCE} at once) in "
        f"{got['seconds']:.1f} s = {rate:.1f} updates/s handled, handler p99 {p99:.0f} ms"
        + (" (Telegram's limits on)" if args.limits else ""),
        rate=round(rate, 2), updates=got["updates"], seconds=round(got["seconds"], 2),
        p99_ms=p99, limits=args.limits, peak_rss_mb=peak_rss_mb(),
    )  # fmt: skip
