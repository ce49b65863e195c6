"""A database per backend with both seed examples loaded once for the whole run."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.settings import Settings
from bot.clock import FixedClock
from sandbox.examples.registry import load_example
from store.db import Database
from tests.conftest import JAKARTA
from tests.support.postgres import PostgresServer, create_database

LOADED_AT = dt.datetime(2025, 3, 1, 9, 0, tzinfo=JAKARTA)
_names = itertools.count()


def _load(url: str) -> None:
    async def go() -> None:
        db = Database.from_url(url)
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        try:
            for name in ("seed-001", "seed-004"):
                await load_example(db, settings, name, FixedClock(LOADED_AT).now())
        finally:
            await db.dispose()

    asyncio.run(go())


@pytest.fixture(scope="session")
def seeded_url(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database holding the seed-001 and seed-004 examples."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("seeded") / "loket.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        server: PostgresServer = request.getfixturevalue("pg_server")
        name = f"seeded{next(_names)}_{abs(hash(request.node.nodeid)) % 10**6}"
        create_database(server, name, template="loket_template")
        url = server.url(name)
    _load(url)
    yield url


@pytest.fixture
def loket(seeded_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner whose `loket` commands use the seeded database (cwd: an empty folder)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", seeded_url)
    return CliRunner()
