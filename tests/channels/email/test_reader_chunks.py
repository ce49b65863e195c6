"""A backlog is read a few mails a call to each worker (channels/email/worker.py,
READ_CHUNK_MAILS), and a hostile mail in a chunk still fails alone: the chunk is read again
mail by mail, so every other mail of it is read and the failure is named for the one mail."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import channels.email.worker as worker
from channels.email.worker import (
    MEMORY_LIMIT,
    READER_FAILED,
    TIMEOUT,
    WORKER_DIED,
    MailReaderPool,
    read_chunks,
)
from tests.support.emails import make_email
from tests.support.hostile_readers import ALLOCATE, DIE, HANG, RAISE, hostile_reader


def mail(n: int, marker: bytes | None = None) -> bytes:
    """Mail number `n`, with a worker test marker when given."""
    headers = dict([marker.decode().split(": ")]) if marker else {}
    return make_email(subject=f"Permohonan {n}", message_id=f"<chunk-{n}@warga.test>",
                      headers=headers)  # fmt: skip


def test_chunks_are_cut_in_order_by_count_and_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "READ_CHUNK_MAILS", 3)
    monkeypatch.setattr(worker, "READ_CHUNK_BYTES", 100)
    assert read_chunks([b"x"] * 7) == [[0, 1, 2], [3, 4, 5], [6]]
    big = b"x" * 250  # over READ_CHUNK_BYTES: a chunk of its own
    assert read_chunks([b"a" * 40, b"b" * 40, b"c" * 40, big, b"d"]) == [[0, 1], [2], [3], [4]]
    assert read_chunks([]) == []


async def test_a_backlog_is_read_in_a_few_calls_in_order() -> None:
    pool = MailReaderPool(60.0, 256, reader=hostile_reader, workers=2)
    loop = asyncio.get_running_loop()
    calls: list[int] = []
    submit = loop.run_in_executor

    def counted(executor: Any, function: Any, *args: Any) -> Any:
        calls.append(1)
        return submit(executor, function, *args)

    loop.run_in_executor = counted  # type: ignore[method-assign]
    try:
        mails = [mail(n) for n in range(3 * worker.READ_CHUNK_MAILS)]
        results = await pool.read_many(mails)
    finally:
        del loop.run_in_executor
        pool.close()
    assert [r.reading.subject for r in results if r.reading] == [
        f"Permohonan {n}" for n in range(len(mails))
    ]
    # three chunks, and one start-up call per worker: not one call a mail
    assert len(calls) == 3 + 2
    assert pool.replaced == 0


@pytest.mark.parametrize(
    ("marker", "failure", "budget"),
    [(HANG, TIMEOUT, 3.0), (RAISE, READER_FAILED, 60.0), (DIE, WORKER_DIED, 60.0),
     (ALLOCATE, MEMORY_LIMIT, 60.0)],
)  # fmt: skip
async def test_a_hostile_mail_in_a_chunk_fails_alone(
    marker: bytes, failure: str, budget: float
) -> None:
    pool = MailReaderPool(budget, 256, reader=hostile_reader, workers=2)
    count = worker.READ_CHUNK_MAILS + 3
    hostile = 4  # inside the first chunk
    try:
        mails = [mail(n, marker if n == hostile else None) for n in range(count)]
        results = await pool.read_many(mails)
    finally:
        pool.close()
    assert [r.failure for r in results] == [failure if n == hostile else None for n in range(count)]
    assert [r.reading.subject for r in results if r.reading] == [
        f"Permohonan {n}" for n in range(count) if n != hostile
    ]
    # the chunk's worker, then the hostile mail's own
    assert pool.replaced == 2
