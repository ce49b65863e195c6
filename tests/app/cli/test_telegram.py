"""`loket telegram check` against the Bot API emulator (running in its own thread and loop)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli.main import app
from sandbox.telegram_api.server import BotApiEmulator
from tests.support.network import free_port
from tests.support.telegram import TOKEN


@pytest.fixture
def api_url() -> Iterator[str]:
    """The base URL of an emulator served from a background thread."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, BotApiEmulator] = {}

    async def serve() -> None:
        holder["api"] = await BotApiEmulator(TOKEN, username="loket_cli_bot").start()
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(serve(), loop)
    assert started.wait(5)
    yield holder["api"].base_url
    asyncio.run_coroutine_threadsafe(holder["api"].stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture
def loket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner in an empty folder (no .env is read)."""
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_check_names_the_bot(
    loket: CliRunner, api_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api_url)
    result = loket.invoke(app, ["telegram", "check"])
    assert result.exit_code == 0, result.output
    assert "@loket_cli_bot" in result.output and "polling" in result.output
    as_json = loket.invoke(app, ["telegram", "check", "--json"])
    assert json.loads(as_json.output)["username"] == "loket_cli_bot"


def test_check_explains_each_failure(
    loket: CliRunner, api_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = loket.invoke(app, ["telegram", "check"])
    assert result.exit_code == 1 and "TELEGRAM_BOT_TOKEN belum diisi" in result.output
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999:WRONG")
    result = loket.invoke(app, ["telegram", "check"])
    assert result.exit_code == 1 and "ditolak Telegram" in result.output
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{free_port()}/bot")
    result = loket.invoke(app, ["telegram", "check"])
    assert result.exit_code == 1 and "tidak dapat dihubungi" in result.output
