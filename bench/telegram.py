"""Figure `telegram`: a burst of N citizens filing information requests through the Bot API
emulator, 20 at once, against the real channel (long polling, the inbox, the lanes, the
handlers) and the dispatcher that sends their answers.

Each citizen goes through the request form as a person would (/start, the kind, six answers,
two choices, "Kirim"), waiting for the bot's answer before the next step; the figure is the
updates handled per second over the burst and the p99 of the handler time per update (the
Application's process_update, timed around the instance). `--limits` makes the emulator
enforce Telegram's flood limits (a citizen then waits a second between answers in one chat).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from app.settings import Settings
from bench.common import (
    backend_of,
    bench_database,
    emit,
    peak_rss_mb,
    percentile_ms,
    reset_peak_rss,
)
from bot.clock import SystemClock
from bot.services import Services
from channels.telegram import build
from sandbox.telegram_api.limits import RateLimits
from sandbox.telegram_api.server import BotApiEmulator
from scheduler.dispatch import Dispatcher
from store.blobs import BlobStore
from store.db import Database
from store.migrate import upgrade
from tests.support.builders import VALID_NIK
from tests.support.telegram import TOKEN, telegram_settings

AT_ONCE = 20
ANSWERS = ("Siti Aminah", VALID_NIK, "Jl. Merdeka No. 1, Gambir, Jakarta Pusat", "siti@example.id",
           "Laporan realisasi anggaran dinas tahun 2025", "Penelitian skripsi")  # fmt: skip
TAPS = ("softcopy", "Email", "Kirim")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--limits: the emulator enforces Telegram's flood limits."""
    parser.add_argument("--limits", action="store_true", help="enforce Telegram's limits")


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


async def measure(url: str, n: int, limits: bool) -> dict[str, Any]:
    """Run the burst; seconds, updates and the handler times."""
    api = await BotApiEmulator(TOKEN, limits=RateLimits() if limits else None).start()
    db = Database.from_url(url)
    handler_seconds: list[float] = []
    try:
        await upgrade(db)
        with TemporaryDirectory(prefix="loket-bench-") as tmp:
            base = Settings(_env_file=None, database_url=url, attachment_dir=Path(tmp))  # type: ignore[call-arg]
            settings = telegram_settings(base, api)
            blobs = BlobStore(settings.attachment_dir, settings.attachment_max_bytes)
            services = Services(settings, db, SystemClock(), blobs)
            parts = build(services)
            assert parts is not None and parts.sender is not None
            runner: Any = parts.runner
            runner.poll_timeout = 1
            app = runner.app
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
            gate = asyncio.Semaphore(AT_ONCE)

            async def one(user_id: int) -> int:
                async with gate:
                    return await citizen(api, user_id)

            start = time.perf_counter()
            updates = sum(await asyncio.gather(*(one(50_000 + i) for i in range(n))))
            seconds = time.perf_counter() - start
            stop.set()
            await loop
            await dispatcher.settle()
            await runner.stop()
        return {"seconds": seconds, "updates": updates, "handlers": handler_seconds}
    finally:
        await db.dispose()
        await api.stop()


def run(args: argparse.Namespace) -> None:
    """Print the figure."""
    with bench_database(args.database_url, args.backend, "bench_telegram") as url:
        got = asyncio.run(measure(url, args.n, args.limits))
        backend = backend_of(url)
    rate = got["updates"] / got["seconds"]
    p99 = percentile_ms(got["handlers"])
    emit(
        "telegram", args.n, backend,
        f"{got['updates']} updates from {args.n} citizens ({AT_ONCE} at once) in "
        f"{got['seconds']:.1f} s = {rate:.1f} updates/s handled, handler p99 {p99:.0f} ms"
        + (" (Telegram's limits on)" if args.limits else ""),
        rate=round(rate, 2), updates=got["updates"], seconds=round(got["seconds"], 2),
        p99_ms=p99, limits=args.limits, peak_rss_mb=peak_rss_mb(),
    )  # fmt: skip
