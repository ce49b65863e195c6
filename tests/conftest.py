"""Shared fixtures: the loopback guard, a database on SQLite and on PostgreSQL, services."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from hypothesis import settings as hypothesis_settings

# The CLI's rich console fixes its width from COLUMNS when it is created (at import). pytest-xdist
# workers inherit COLUMNS=80; without it the console reads the width each test sets, per call.
os.environ.pop("COLUMNS", None)

from app.settings import Settings
from bot.clock import FixedClock
from bot.intake.door import Intake
from bot.services import Services
from store.blobs import BlobStore
from store.db import Database
from store.migrate import upgrade
from tests.support.network import install_loopback_guard
from tests.support.postgres import PostgresServer, create_database, postgres_server

# CI runs every property test on the same examples (a clean clone has no example database):
# a red CI is then a real regression, not a new random find; exploration runs on developers'
# machines, where hypothesis keeps and replays what it found.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

install_loopback_guard()

JAKARTA = dt.timezone(dt.timedelta(hours=7))
_db_counter = itertools.count()


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--backend sqlite|postgresql|all` limits which databases the `db` tests run on."""
    parser.addoption("--backend", default="all", choices=("sqlite", "postgresql", "all"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses a database once per backend."""
    if "backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--backend")
        backends = ["sqlite", "postgresql"] if chosen == "all" else [chosen]
        metafunc.parametrize("backend", backends, scope="session")


def _migrate(url: str) -> None:
    async def go() -> None:
        db = Database.from_url(url)
        await upgrade(db)
        await db.dispose()

    asyncio.run(go())


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL cluster for the whole run, with a migrated template database."""
    with postgres_server() as server:
        create_database(server, "loket_template")
        _migrate(server.url("loket_template"))
        yield server


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrating once keeps the suite fast)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


def fresh_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, label: str = "loket"
) -> str:
    """The URL of a new, migrated, empty database on `backend` (copied from the template):
    a file `label`.db in tmp_path, or a PostgreSQL database of its own."""
    if backend == "sqlite":
        target = tmp_path / f"{label}.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = f"t{next(_db_counter)}_{label}_{abs(hash(request.node.nodeid)) % 10**8}"
    create_database(server, name, template="loket_template")
    return server.url(name)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated, empty database for this test on `backend`."""
    return fresh_database_url(backend, request, tmp_path)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Default settings pointing at this test's database and attachment folder."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db_url,
        attachment_dir=tmp_path / "attachments",
        reply_secret="test-secret",  # type: ignore[arg-type]
    )


@pytest.fixture
def clock() -> FixedClock:
    """A clock fixed at Monday 2026-01-05 09:00 WIB; tests move it explicitly."""
    return FixedClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=JAKARTA))


@pytest_asyncio.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    """The test's database, disposed afterwards."""
    database = Database.from_url(settings.database_url)
    yield database
    await database.dispose()


@pytest_asyncio.fixture
async def services(settings: Settings, db: Database, clock: FixedClock) -> Services:
    """Services on the test database with the fixed clock."""
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        blobs=BlobStore(settings.attachment_dir, settings.attachment_max_bytes),
    )


@pytest_asyncio.fixture
async def intake(services: Services) -> Intake:
    """The intake entry point on the test database."""
    return services.intake
