"""Figure `outbound`: N outbox rows to Telegram through the dispatcher, against the Bot API
emulator enforcing Telegram's limits (30/s overall, 1/s per chat, 20/min per group) with real
429 answers on the real monotonic clock.

`--chats C` spreads the rows round-robin over C private chats (default: one chat per row, "many
chats", where the bot's 30/s is the limit; `--chats 10`: the ten chats' 10/s is). The rows are
handler answers (CHAT_REPLY), sent by the real TelegramSender (python-telegram-bot, its
Application's rate limiter) through the production Dispatcher and RateLimiter (on PostgreSQL
the shared `rate_slots`). Prints the rate, its share of the limit that applies, the 429s,
and the process's CPU a message while sending (`cpu_ms_per_message`: the bot's side and the
emulator's, which runs in the same process here; compare it between two checkouts).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from bench.common import backend_of, bench_database, emit, peak_rss_mb, reset_peak_rss
from bench.telegram_channel import telegram_channel
from bot.clock import SystemClock
from bot.notify.outbox import enqueue
from bot.notify.purposes import Purpose
from channels.telegram.sender import REPLY
from sandbox.telegram_api.limits import RateLimits
from sandbox.telegram_api.server import BotApiEmulator
from scheduler.dispatch import Dispatcher
from store.db import Database
from store.migrate import upgrade
from tests.support.telegram import TOKEN

TELEGRAM_OVERALL, TELEGRAM_PER_CHAT = 30.0, 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--chats: how many chats the rows go to (default: one per row)."""
    parser.add_argument("--chats", type=int, default=None, help="chats (default: N)")


async def queue_rows(db: Database, n: int, chats: int) -> None:
    """`n` answers, round-robin over `chats` chats (ids 10000...)."""
    now = SystemClock().now()
    async with db.transaction() as session:
        for i in range(n):
            chat = 10_000 + i % chats
            answer = {"text": f"Pesan {i}", "markup": None, "reply_to": None, "case_id": None}
            await enqueue(
                session, dedup_key=f"bench-out:{i}", channel="telegram", recipient=str(chat),
                purpose=Purpose.CHAT_REPLY.value, body=answer["text"], now=now,
                payload={REPLY: answer},
            )  # fmt: skip


async def measure(url: str, n: int, chats: int) -> dict[str, float]:
    """Send the rows; the seconds, the 429 count and what the emulator stored."""
    api = await BotApiEmulator(TOKEN, limits=RateLimits()).start()
    db = Database.from_url(url)
    try:
        await upgrade(db)
        await queue_rows(db, n, chats)
        with TemporaryDirectory(prefix="loket-bench-") as tmp:
            services, parts = telegram_channel(url, db, api, Path(tmp))
            settings = services.settings
            app = parts.runner.worker.app  # type: ignore[attr-defined]
            await app.initialize()
            dispatcher = Dispatcher(
                db, {"telegram": parts.sender}, services.clock, settings=settings
            )
            reset_peak_rss()
            start, cpu = time.perf_counter(), time.process_time()
            sent = 0
            while sent < n:  # rows a 429 put back come round again when due
                sent += (await dispatcher.drain_once()).sent
                if sent < n:
                    await asyncio.sleep(0.2)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            await app.shutdown()
        calls = len(api.calls_of("sendMessage"))
        too_many = calls - len(api.messages())
        return {"seconds": seconds, "too_many": too_many, "sent": sent, "cpu": cpu}
    finally:
        await db.dispose()
        await api.stop()


def run(args: argparse.Namespace) -> None:
    """Print the figure."""
    chats = args.chats or args.n
    limit = min(TELEGRAM_OVERALL, chats * TELEGRAM_PER_CHAT)
    with bench_database(args.database_url, args.backend, "bench_outbound") as url:
        got = asyncio.run(measure(url, args.n, chats))
        backend = backend_of(url)
    rate = args.n / got["seconds"]
    emit(
        "outbound", args.n, backend,
        f"{rate:.1f} msg/s to {chats} chats = {rate / limit:.0%} of Telegram's {limit:.0f}/s, "
        f"{got['too_many']} answered 429",
        chats=chats, rate=round(rate, 2), share_of_limit=round(rate / limit, 3),
        too_many_requests=got["too_many"], seconds=round(got["seconds"], 2),
        cpu_ms_per_message=round(got["cpu"] / args.n * 1000, 3),
        peak_rss_mb=peak_rss_mb(),
    )  # fmt: skip
