"""`loket whatsapp check` against the Cloud API emulator (in its own thread and loop)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli.main import app
from sandbox.whatsapp_api.emulator import CloudApiEmulator


@pytest.fixture
def api() -> Iterator[CloudApiEmulator]:
    """An emulator served from a background thread."""
    loop = asyncio.new_event_loop()
    emulator = CloudApiEmulator(now=lambda: dt.datetime.now(dt.UTC))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(emulator.start(), loop).result(5)
    yield emulator
    asyncio.run_coroutine_threadsafe(emulator.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture
def loket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api: CloudApiEmulator) -> CliRunner:
    """A CLI runner in an empty folder, configured for the emulator."""
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "WHATSAPP_TOKEN": api.token,
        "WHATSAPP_PHONE_NUMBER_ID": api.phone_number_id,
        "WHATSAPP_APP_SECRET": api.app_secret,
        "WHATSAPP_VERIFY_TOKEN": "verify-me",
        "WHATSAPP_API_BASE_URL": api.base_url,
        "PUBLIC_BASE_URL": "https://loket.example.go.id/",
    }.items():
        monkeypatch.setenv(key, value)
    return CliRunner()


def test_check_names_the_number_and_the_webhook_url(loket: CliRunner) -> None:
    result = loket.invoke(app, ["whatsapp", "check"])
    assert result.exit_code == 0, result.output
    assert "https://loket.example.go.id/whatsapp/webhook" in result.output
    as_json = json.loads(loket.invoke(app, ["whatsapp", "check", "--json"]).output)
    assert as_json["number"] == "15550783881"


def test_check_explains_each_failure(loket: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_TOKEN", "stolen")
    refused = loket.invoke(app, ["whatsapp", "check"])
    assert refused.exit_code == 2 and "kode 190" in refused.output
    monkeypatch.setenv("PUBLIC_BASE_URL", "")
    assert "PUBLIC_BASE_URL" in loket.invoke(app, ["whatsapp", "check"]).output
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "")
    assert "WHATSAPP_APP_SECRET" in loket.invoke(app, ["whatsapp", "check"]).output
    monkeypatch.setenv("WHATSAPP_TOKEN", "")
    off = loket.invoke(app, ["whatsapp", "check"])
    assert off.exit_code == 2 and "WHATSAPP_TOKEN" in off.output


def test_run_on_a_taken_port_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'loket.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("HTTP_PORT", str(taken.getsockname()[1]))
        result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert "HTTP_HOST/HTTP_PORT: cannot listen" in result.output
    assert "Traceback" not in result.output
