"""Benchmark: the reliability suite's chaos run, longer. A mixed stream of N emails and N Telegram
messages into a real `loket run`, SIGKILLed at random moments for R rounds, then run to the end;
prints one JSON line of figures (losses, duplicates, dead letters, seconds).

Usage: python -m bench chaos [--n 500] [--rounds 20] [--seed 1]
                             [--backend sqlite|postgresql | --database-url URL]
(--n: emails and Telegram messages each.)
By default a fresh SQLite file in a temporary folder is used; `--backend postgresql` starts a
throwaway PostgreSQL cluster (tests/support/postgres.py) for the run. Needs Dovecot
installed (as the test suite does: scripts/test.sh); the Bot API emulator and an SMTP sink run
in this process (tests/support/chaos.py explains the set-up).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.common import emit, peak_rss_mb
from sandbox.telegram_api.server import BotApiEmulator
from store.db import Database
from store.migrate import upgrade
from tests.support.chaos import Chaos, ChaosWorld
from tests.support.dovecot import dovecot_server
from tests.support.postgres import create_database, postgres_server
from tests.support.smtp import SmtpSink
from tests.support.telegram import TOKEN


async def _migrate(url: str) -> None:
    db = Database.from_url(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


@contextlib.contextmanager
def _database(backend: str, database_url: str | None, workdir: Path) -> Iterator[str]:
    if database_url:
        yield database_url
    elif backend == "postgresql":
        with postgres_server() as server:
            create_database(server, "chaos")
            yield server.url("chaos")
    else:
        yield f"sqlite:///{workdir / 'loket.db'}"


async def chaos(
    messages: int, rounds: int, seed: int, backend: str = "sqlite", database_url: str | None = None
) -> dict:
    """Run one chaos run and return its figures (with the parameters) as a dict."""
    with (
        tempfile.TemporaryDirectory(prefix="loket-chaos-") as tmp,
        dovecot_server() as dovecot,
        _database(backend, database_url, Path(tmp)) as url,
    ):
        workdir = Path(tmp)
        await _migrate(url)
        smtp = SmtpSink().start()
        api = await BotApiEmulator(TOKEN).start()
        try:
            world = ChaosWorld(url, workdir, dovecot, dovecot.new_folder("chaos"), smtp, api)
            run = Chaos(world, telegram=messages, emails=messages, rounds=rounds, seed=seed)
            figures = await run.run()
        finally:
            await api.stop()
            smtp.stop()
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    return {"benchmark": "chaos", "backend": backend, "seed": seed,
            **dataclasses.asdict(figures), "lost": figures.lost}  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The chaos run's own options."""
    parser.add_argument("--rounds", type=int, default=20, help="SIGKILLed runs before the last")
    parser.add_argument("--seed", type=int, default=1)


def run(args: argparse.Namespace) -> None:
    """Run once and print the figures as one JSON line and a human line."""
    started = time.perf_counter()
    result = asyncio.run(chaos(args.n, args.rounds, args.seed, args.backend, args.database_url))
    # `seconds` (in the figures) is the runs' own time; this adds the servers' set-up.
    wall_seconds = round(time.perf_counter() - started, 1)
    figures = {k: v for k, v in result.items() if k not in ("benchmark", "backend")}
    emit(
        "chaos",
        args.n,
        result["backend"],
        f"{result['lost']} lost after {args.rounds} kills, {figures['seconds']} s "
        f"({wall_seconds} s with the set-up)",
        wall_seconds=wall_seconds,
        peak_rss_mb=peak_rss_mb(),
        **figures,
    )
