"""Reading mail in a worker process, so that one hostile mail can neither stall nor kill Loket.

Each worker (a `bot.child_process.ChildProcess`: a process of its own) reads one mail
at a time, called from asyncio through `loop.run_in_executor`: the event loop (Telegram, the
scheduler) keeps running while mail is parsed, and a backlog is read on every core at once
(`read_many`, one worker per core, a few mails a call: see READ_CHUNK_MAILS). A worker's
address space is limited to MAIL_PARSE_MEMORY_MB (RLIMIT_AS, set by the pool initializer),
each mail gets MAIL_PARSE_TIMEOUT_SECONDS. A mail that runs out of time or memory, kills the
worker, or makes the reader raise is reported as a `ReadResult` with a reason instead of a
reading; the worker is then replaced, so the next mail starts on a fresh process; the other
workers, each in a process of its own, go on with their mails untouched.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.child_process import ChildProcess
from channels.email.message import MailReading
from channels.email.reader import read_mail

log = logging.getLogger(__name__)
T = TypeVar("T")

# Why a mail could not be read (MailRecord.reason is "quarantined_" + one of these).
TIMEOUT = "timeout"
MEMORY_LIMIT = "memory_limit"
WORKER_DIED = "worker_died"
READER_FAILED = "reader_failed"
# Starting the worker (a new interpreter importing the parser) on a busy machine.
START_TIMEOUT_SECONDS = 120.0
# Workers reading at once (the machine's cores, up to this many).
MAX_WORKERS = 4
# A backlog goes to the workers a few mails a call, not one: each call costs the poll's event
# loop a submit, a wake-up of the executor's thread and a result hop (~0.1 ms a mail, measured
# at 10 000 mails), the same for 1 mail as for 10. A call carries at most this many mails and
# this many bytes (after the first mail), so a large mail is read nearly alone. A chunk that
# fails in any way (time, memory, the worker's death, the reader raising) is read again one
# mail at a time, so a failure stays the failing mail's own (`_read_chunk`).
READ_CHUNK_MAILS = 10
READ_CHUNK_BYTES = 512 * 1024


class WorkerUnavailable(RuntimeError):
    """No worker process could be started (the mail is not to blame; try again later)."""


@dataclass(frozen=True)
class ReadResult:
    """The reading of one mail, or the reason there is none."""

    reading: MailReading | None
    failure: str | None = None


def _read_each(reader: Callable[[bytes], MailReading], raws: Sequence[bytes]) -> list[MailReading]:
    """Run in a worker: `reader` applied to each of `raws`, in order."""
    return [reader(raw) for raw in raws]


def read_chunks(raws: Sequence[bytes]) -> list[list[int]]:
    """The positions of `raws`, cut in order into chunks of at most READ_CHUNK_MAILS mails and
    READ_CHUNK_BYTES bytes (a mail larger than that is a chunk of its own)."""
    chunks: list[list[int]] = []
    size = 0
    for i, raw in enumerate(raws):
        if not chunks or len(chunks[-1]) >= READ_CHUNK_MAILS or size + len(raw) > READ_CHUNK_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(i)
        size += len(raw)
    return chunks


def _loaded(reader: Callable[[bytes], MailReading]) -> int:
    """Run in a new worker: its pid, once `reader` (sent by reference, so its module, the whole
    parser, is imported on the way in) is loaded. On a busy machine that import takes seconds,
    which must not count against the first mail's MAIL_PARSE_TIMEOUT_SECONDS."""
    del reader
    return os.getpid()


def default_workers() -> int:
    """How many mails are read at once: one per core, at most MAX_WORKERS."""
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


class MailReaderPool:
    """Reads mail in `workers` processes (one mail each at a time), with a time and memory
    limit per mail; a failure is always the failing mail's, never another's."""

    def __init__(
        self,
        timeout_seconds: float,
        memory_mb: int,
        reader: Callable[[bytes], MailReading] = read_mail,
        workers: int = 1,
    ) -> None:
        self.timeout_seconds, self.memory_mb, self.reader = timeout_seconds, memory_mb, reader
        self._workers = [ChildProcess(memory_mb) for _ in range(max(1, workers))]
        self._free: asyncio.Queue[ChildProcess] | None = None
        self.replaced = 0  # how often a worker was replaced after a failure

    def _idle(self) -> asyncio.Queue[ChildProcess]:
        if self._free is None:
            self._free = asyncio.Queue()
            for worker in self._workers:
                self._free.put_nowait(worker)
        return self._free

    async def _started(self, worker: ChildProcess) -> ProcessPoolExecutor:
        """The worker's pool with its process up and the reader imported (neither is the mail's
        time); raises WorkerUnavailable when no process can be started."""
        if worker.pool is not None:
            return worker.pool
        pool = worker.executor()
        try:
            await asyncio.wait_for(
                asyncio.get_running_loop().run_in_executor(pool, _loaded, self.reader),
                START_TIMEOUT_SECONDS,
            )
        except Exception as exc:
            self._replace(worker)
            raise WorkerUnavailable(f"mail reader did not start: {type(exc).__name__}") from None
        return pool

    async def read(self, raw: bytes) -> ReadResult:
        """Read one mail in a free worker; a failure of the mail is the result's reason (raises
        WorkerUnavailable only when no worker can be started at all)."""
        try:
            return ReadResult(await self._call(self.reader, raw))
        except WorkerUnavailable:
            raise
        except TimeoutError:
            failure = TIMEOUT
        except MemoryError:
            failure = MEMORY_LIMIT
        except BrokenProcessPool:
            failure = WORKER_DIED
        except Exception as exc:
            log.error("mail reader failed: %s", type(exc).__name__)
            failure = READER_FAILED
        return ReadResult(None, failure)

    async def read_many(self, raws: Sequence[bytes]) -> list[ReadResult]:
        """Read `raws` on every worker at once, a chunk a call; the results in the same order,
        each mail's failure its own (a failed chunk is read again mail by mail)."""
        results: dict[int, ReadResult] = {}

        async def read_chunk(positions: list[int]) -> None:
            chunk = [raws[i] for i in positions]
            readings = await self._read_chunk(chunk) if len(chunk) > 1 else None
            if readings is None:  # one mail, or a chunk that failed: each mail alone
                for i in positions:
                    results[i] = await self.read(raws[i])
            else:
                for i, reading in zip(positions, readings, strict=True):
                    results[i] = ReadResult(reading)

        await asyncio.gather(*(read_chunk(chunk) for chunk in read_chunks(raws)))
        return [results[i] for i in range(len(raws))]

    async def _read_chunk(self, chunk: list[bytes]) -> list[MailReading] | None:
        """Read `chunk` in one call within one mail's time limit; None when that failed in
        any way (its mails are then read again alone, their failures named there)."""
        try:
            return await self._call(_read_each, self.reader, chunk)
        except WorkerUnavailable:
            raise
        except Exception as exc:
            log.info("a chunk of %d mails is read again mail by mail: %s", len(chunk),
                     type(exc).__name__)  # fmt: skip
            return None

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` in a free worker within MAIL_PARSE_TIMEOUT_SECONDS; whatever it
        raises (or the timeout, or the worker's death) is raised here after the worker is
        replaced. WorkerUnavailable when no worker can be started."""
        free = self._idle()
        worker = await free.get()
        try:
            pool = await self._started(worker)
            try:
                future = asyncio.get_running_loop().run_in_executor(pool, function, *args)
                return await asyncio.wait_for(future, self.timeout_seconds)
            except Exception:
                self._replace(worker)
                raise
        finally:
            free.put_nowait(worker)

    def _replace(self, worker: ChildProcess) -> None:
        """Kill the worker's process and start afresh next time."""
        if worker.kill():
            self.replaced += 1

    def close(self) -> None:
        """Stop the workers: at once when idle, after CLOSE_GRACE_SECONDS (then killed) when
        one is still busy with a mail whose reading was abandoned (Loket is stopping)."""
        for worker in self._workers:
            worker.close()
        self._free = None
