"""The world outside Loket for the `telegram` figure: the Bot API emulator and the citizens
driving it, in a process of their own (as Telegram and its users are not in Loket's process).

The parent (bench/telegram.py) starts `World`, points the channel at the emulator's address,
says when the bot is ready, and gets back what the citizens measured. `perf_counter` is the
system's monotonic clock on Linux, so the instants the two processes report are comparable.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from sandbox.telegram_api.limits import RateLimits
from sandbox.telegram_api.server import BotApiEmulator
from tests.support.builders import VALID_NIK
from tests.support.telegram import TOKEN

AT_ONCE = 20
ANSWERS = ("Siti Aminah", VALID_NIK, "Jl. Merdeka No. 1, Gambir, Jakarta Pusat", "siti@example.id",
           "Laporan realisasi anggaran dinas tahun 2025", "Penelitian skripsi")  # fmt: skip
TAPS = ("softcopy", "Email", "Kirim")
BURST = ("/start", "/bantuan", "/status", "/bantuan", "/start")  # each answered once


@dataclass(frozen=True)
class Address:
    """Where the emulator listens (what the bot's settings need of it)."""

    base_url: str
    base_file_url: str


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


async def filing(api: BotApiEmulator, n: int) -> dict[str, float]:
    """N citizens file requests, AT_ONCE at a time; seconds and updates sent."""
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(user_id: int) -> int:
        async with gate:
            return await citizen(api, user_id)

    start = time.perf_counter()
    updates = sum(await asyncio.gather(*(one(50_000 + i) for i in range(n))))
    return {"seconds": time.perf_counter() - start, "updates": updates, "start": start}


async def burst(api: BotApiEmulator, n: int) -> dict[str, float]:
    """Every citizen's BURST at once; when it began, and seconds until every answer went out
    (what was persisted when is the bot's to say)."""
    total = n * len(BURST)
    start = time.perf_counter()
    for text in BURST:
        for i in range(n):
            await api.push_text(text, user_id=50_000 + i, first_name="Siti", language_code="id")
    await api.wait_until(lambda: len(api.messages()) >= total, 300)
    return {"start": start, "answered": time.perf_counter() - start, "updates": total}


def _serve(conn: Connection, n: int, limits: bool, bursting: bool) -> None:
    asyncio.run(_world(conn, n, limits, bursting))


async def _world(conn: Connection, n: int, limits: bool, bursting: bool) -> None:
    api = await BotApiEmulator(TOKEN, limits=RateLimits() if limits else None).start()
    try:
        conn.send(Address(api.base_url, api.base_file_url))
        await asyncio.to_thread(conn.recv)  # the bot is ready
        conn.send(await (burst(api, n) if bursting else filing(api, n)))
        await asyncio.to_thread(conn.recv)  # the bot has stopped
    finally:
        await api.stop()


class World:
    """The emulator and the citizens in a child process: `address`, then `run()` once the bot
    is ready (what the citizens measured), then `close()`."""

    def __init__(self, n: int, limits: bool, bursting: bool) -> None:
        context = mp.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, n, limits, bursting), name="bench-telegram-world"
        )
        self._process.start()
        self.address: Address = self._receive()

    def _receive(self) -> Any:
        """The child's next word; RuntimeError if it died first (not waiting for ever)."""
        while not self._conn.poll(0.5):
            if not self._process.is_alive():
                raise RuntimeError(f"the emulator's process ended ({self._process.exitcode})")
        return self._conn.recv()

    async def run(self) -> dict[str, float]:
        """Let the citizens go; what they measured, when they are done."""
        self._conn.send("go")
        result: dict[str, float] = await asyncio.to_thread(self._receive)
        return result

    def close(self) -> None:
        """Stop the emulator and wait for the process."""
        with contextlib.suppress(OSError):
            self._conn.send("stop")
        self._process.join(30)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
