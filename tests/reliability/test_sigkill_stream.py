"""`loket run` killed with SIGKILL at random moments of a mixed stream of 200 emails and 200
Telegram messages, ten times, then run to the end: nothing is lost (every message once in the
store, every acknowledgement and answer delivered), and what is doubled stays within the bound
at-least-once delivery allows: a send whose record a kill cut off is repeated (email: at most one
send in flight per kill; Telegram: each send in flight, to many chats at once).

The servers (Bot API emulator, Dovecot, SMTP sink) run in this process and outlive each kill,
as Telegram and the mail server outlive a crash of ours (tests/support/chaos.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from sandbox.telegram_api.server import BotApiEmulator
from tests.support.chaos import Chaos, ChaosWorld
from tests.support.dovecot import DovecotServer, dovecot  # noqa: F401  (fixture)
from tests.support.smtp import SmtpSink, smtp_server  # noqa: F401  (fixture)
from tests.support.telegram import telegram_api  # noqa: F401  (fixture)

MESSAGES = 200
ROUNDS = 10


@pytest_asyncio.fixture
async def world(
    db_url: str,
    tmp_path: Path,
    dovecot: DovecotServer,  # noqa: F811
    smtp_server: SmtpSink,  # noqa: F811
    telegram_api: BotApiEmulator,  # noqa: F811
) -> AsyncIterator[ChaosWorld]:
    """The loopback servers and a fresh database for one chaos run."""
    yield ChaosWorld(db_url, tmp_path, dovecot, dovecot.new_folder("chaos"), smtp_server,
                     telegram_api)  # fmt: skip


async def test_sigkill_during_a_mixed_stream_loses_nothing(world: ChaosWorld) -> None:
    seed = int(os.environ.get("LOKET_CHAOS_SEED", "9"))
    chaos = Chaos(world, telegram=MESSAGES, emails=MESSAGES, rounds=ROUNDS, seed=seed)
    figures = await chaos.run()
    context = f"seed {seed}: {figures}\n{chaos.log_tail()}"
    assert figures.kills == ROUNDS, context
    # Everything still owed after the deadline would count as missing below: say so apart.
    assert figures.finished, f"not worked off within the finish limit; {context}"
    assert figures.telegram_confirmed_unstored == 0, context
    assert (figures.telegram_lost, figures.emails_lost) == (0, 0), context
    assert (figures.telegram_doubled, figures.emails_doubled) == (0, 0), context
    assert figures.telegram_out_of_order == 0, context
    assert figures.dead_letters == 0, context
    assert (figures.acks_missing, figures.replies_missing) == (0, 0), context
    # At-least-once: a kill between a send and its record repeats that send, no more (email
    # sends one at a time; Telegram to many chats at once, each send recorded as it ends).
    assert figures.acks_doubled <= ROUNDS, context
    assert figures.replies_unrecorded_while_running == 0, context
    assert figures.replies_doubled <= figures.replies_cut_by_kills, context
    # Nothing Loket started outlives it: a mail worker left behind by a killed process would
    # hold the pipe of whoever started Loket open for ever (a hung CI, a stuck systemd unit).
    assert await _processes_in(world.workdir) == [], context


async def _processes_in(folder: Path) -> list[int]:
    """Processes still running with `folder` as their working directory, after a short grace
    for ones already on their way out."""
    found: list[int] = []
    for _ in range(50):
        found = _running_in(folder)
        if not found:
            break
        await asyncio.sleep(0.1)
    return found


def _running_in(folder: Path) -> list[int]:
    """Processes whose working directory is `folder` (read from /proc)."""
    found = []
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if proc.name.isdigit() and (proc / "cwd").resolve() == folder.resolve():
                found.append(int(proc.name))
    return found
