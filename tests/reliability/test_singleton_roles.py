"""Two real `loket run` workers on one database: exactly one polls Telegram and ticks the
scheduler. On PostgreSQL the other stands by and, when the first is SIGKILLed, takes its roles
over within 30 s; on SQLite the second refuses its roles in one clear sentence.

Each worker talks to the Bot API emulator through a counting proxy of its own, so the test
sees which process polls (the emulator alone cannot tell two clients apart).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlmodel import func, select

from sandbox.telegram_api.server import BotApiEmulator
from store.db import Database
from store.models import InboundUpdate, MailRecord
from tests.support.dovecot import DovecotServer, dovecot  # noqa: F401  (fixture)
from tests.support.emails import make_email
from tests.support.telegram import TOKEN, telegram_api  # noqa: F401  (fixture)
from tests.support.workers import CountingProxy, Worker

TAKEOVER_WITHIN = 30.0  # issue #13: a dead worker's roles move within 30 s


@pytest_asyncio.fixture
async def mail_folder(dovecot: DovecotServer) -> str:  # noqa: F811
    """A fresh IMAP folder both workers are configured to watch."""
    return dovecot.new_folder("roles")


@pytest_asyncio.fixture
async def workers(
    db_url: str,
    tmp_path: Path,
    telegram_api: BotApiEmulator,  # noqa: F811
    dovecot: DovecotServer,  # noqa: F811
    mail_folder: str,
) -> AsyncIterator[list[Worker]]:
    """Two workers (not started) on the test's database, each behind its own proxy to the
    Bot API emulator, both configured for the same IMAP mailbox."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOKET_CRASH")} | {
        "IMAP_HOST": "127.0.0.1",
        "IMAP_PORT": str(dovecot.port),
        "IMAP_SECURITY": "none",
        "IMAP_USER": dovecot.user,
        "IMAP_PASSWORD": dovecot.password,
        "IMAP_FOLDER": mail_folder,
        "IMAP_POLL_SECONDS": "1",
        "DATABASE_URL": db_url,
        "ATTACHMENT_DIR": str(tmp_path / "attachments"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "ROLE_RETRY_SECONDS": "1",
        "LANGUAGE": "id",
        "LOG_LEVEL": "INFO",
    }
    upstream = f"http://127.0.0.1:{telegram_api.port}"
    proxies = [await CountingProxy(upstream).start() for _ in range(2)]
    made = [Worker(n, tmp_path, env, p) for n, p in zip(("a", "b"), proxies, strict=True)]
    try:
        yield made
    finally:
        for w in made:
            await w.end(signal.SIGKILL)
        for p in proxies:
            await p.stop()


RUNS = "this worker now runs role {}"


async def _count(db_url: str, table: type[InboundUpdate] | type[MailRecord]) -> int:
    db = Database.from_url(db_url)
    try:
        async with db.session() as session:
            return (await session.exec(select(func.count()).select_from(table))).one()
    finally:
        await db.dispose()


async def test_one_worker_polls_and_a_standby_takes_over_after_sigkill(
    workers: list[Worker],
    backend: str,
    db_url: str,
    telegram_api: BotApiEmulator,  # noqa: F811
    dovecot: DovecotServer,  # noqa: F811
    mail_folder: str,
) -> None:
    if backend != "postgresql":
        pytest.skip("several workers need PostgreSQL (SQLite: see the refusal test)")
    a, b = workers
    await a.start()
    await a.wait_log(RUNS.format("channel:telegram"))
    await a.wait_log(RUNS.format("scheduler"))
    await a.wait_log(RUNS.format("imap:env"))
    await b.start()
    for role in ("channel:telegram", "imap:env", "scheduler"):
        await b.wait_log(f"role {role} is held by another worker; standing by")
    await asyncio.sleep(3)  # several of b's retries: it keeps standing by
    assert a.proxy is not None and b.proxy is not None
    assert a.proxy.calls["getUpdates"] >= 1
    # b runs the Application (its inbox worker and sender need the bot) but never polls
    assert b.proxy.calls["getUpdates"] == 0
    assert RUNS.format("channel:telegram") not in b.text()

    killed_at = time.monotonic()
    await a.end(signal.SIGKILL)
    await b.wait_log(RUNS.format("channel:telegram"), within=TAKEOVER_WITHIN)
    await b.wait_log(RUNS.format("scheduler"), within=TAKEOVER_WITHIN)
    await b.wait_log(RUNS.format("imap:env"), within=TAKEOVER_WITHIN)
    for _ in range(300):
        if b.proxy.calls["getUpdates"]:
            break
        await asyncio.sleep(0.1)
    assert b.proxy.calls["getUpdates"] >= 1
    assert time.monotonic() - killed_at < TAKEOVER_WITHIN
    # The new leader really receives: an update and a mail sent now are stored by b.
    await telegram_api.push_text("Selamat pagi, saya mau bertanya", user_id=4242)
    mail = make_email(message_id="<roles-1@warga.test>")
    await asyncio.to_thread(dovecot.append, mail_folder, mail)
    for _ in range(300):
        if await _count(db_url, InboundUpdate) and await _count(db_url, MailRecord):
            break
        await asyncio.sleep(0.1)
    assert (await _count(db_url, InboundUpdate), await _count(db_url, MailRecord)) == (1, 1)
    await b.end()
    assert b.proc is not None and b.proc.returncode == 0, b.text()[-3000:]


async def test_on_sqlite_a_second_worker_refuses_its_roles_in_one_sentence(
    workers: list[Worker], backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the refusal is SQLite's; PostgreSQL workers stand by")
    a, b = workers
    await a.start()
    await a.wait_log(RUNS.format("scheduler"))
    await b.start()
    assert a.proc is not None
    sentence = (
        "Peran {} sudah dijalankan oleh `loket run` lain pada basis data SQLite ini "
        f"(proses {a.proc.pid}); dengan SQLite hanya satu `loket run` yang bekerja: hentikan "
        "yang lain, atau pakai PostgreSQL untuk beberapa worker."
    )
    for role in ("channel:telegram", "imap:env", "scheduler"):
        await b.wait_log(sentence.format(role))
    await asyncio.sleep(3)  # b does not try again
    assert b.text().count(sentence.format("scheduler")) == 1
    assert b.proxy is not None and a.proxy is not None
    assert b.proxy.calls["getUpdates"] == 0 and a.proxy.calls["getUpdates"] >= 1
    with contextlib.suppress(ProcessLookupError):
        await b.end()
    await a.end()
    assert (a.proc.returncode, b.proc.returncode if b.proc else None) == (0, 0)
