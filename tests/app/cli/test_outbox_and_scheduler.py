"""`loket outbox list/retry/flush` and `loket scheduler tick/preview` from the command line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app import runner
from app.cli.main import app
from bot.clock import SystemClock
from bot.notify.outbox import enqueue
from bot.ports import ChannelParts
from store.db import Database
from store.enums import OutboxStatus
from store.models import OutboxMessage
from tests.support.senders import ScriptedSender


@pytest.fixture
def loket(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner on the test database (cwd: an empty folder, so no .env is read)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    return CliRunner()


def seed(db_url: str, *rows: tuple[str, str, str]) -> None:
    """Queue (status, channel, recipient) rows, due now."""

    async def go() -> None:
        db = Database.from_url(db_url)
        now = SystemClock().now()
        async with db.transaction() as session:
            for i, (status, channel, recipient) in enumerate(rows):
                await enqueue(
                    session, dedup_key=f"k{i}", channel=channel, recipient=recipient,
                    purpose="test", body=f"body {i}", now=now,
                )  # fmt: skip
                row = await session.get(OutboxMessage, i + 1)
                assert row is not None
                row.status, row.last_error = status, "boom" if status == "failed" else None
                session.add(row)
        await db.dispose()

    asyncio.run(go())


def listed(loket: CliRunner, *args: str) -> list[dict[str, object]]:
    """`loket outbox list --json ...`, parsed."""
    result = loket.invoke(app, ["outbox", "list", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_list_masks_recipients_and_retry_requeues(loket: CliRunner, db_url: str) -> None:
    seed(db_url, ("pending", "email", "siti@example.test"), ("failed", "telegram", "123456"),
         ("sent", "telegram", "42"))  # fmt: skip
    rows = listed(loket)
    assert [(r["id"], r["recipient"]) for r in rows] == [(1, "s***@example.test"), (2, "***456")]
    assert [r["id"] for r in listed(loket, "--failed")] == [2]

    result = loket.invoke(app, ["outbox", "retry", "2"])
    assert result.exit_code == 0, result.output
    assert listed(loket, "--failed") == []
    assert [r["status"] for r in listed(loket)] == ["pending", "pending"]
    assert loket.invoke(app, ["outbox", "retry", "3"]).exit_code == 2  # already sent
    assert loket.invoke(app, ["outbox", "retry", "99"]).exit_code == 2


def test_flush_sends_through_the_configured_channels(
    loket: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db_url, ("pending", "telegram", "42"), ("pending", "email", "a@example.test"))
    sender = ScriptedSender("telegram")
    monkeypatch.setattr(
        runner,
        "channel_factories",
        lambda: [lambda svc: ChannelParts(object(), sender), lambda svc: None],  # type: ignore[arg-type]
    )
    result = loket.invoke(app, ["outbox", "flush"])
    assert result.exit_code == 0, result.output
    assert [m.body for m in sender.sent] == ["body 0"]
    assert "1" in result.output  # one still waiting: email is not configured here
    assert [r["status"] for r in listed(loket)] == [OutboxStatus.PENDING]


def test_tick_and_preview(loket: CliRunner) -> None:
    result = loket.invoke(app, ["scheduler", "tick", "--json"])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)) >= {"request_reminders", "unit_digests"}
    result = loket.invoke(app, ["scheduler", "preview", "--at", "2026-04-16T09:00", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []
    bad = loket.invoke(app, ["scheduler", "preview", "--at", "tomorrow"])
    assert bad.exit_code == 2  # bad input


def test_run_refuses_a_database_that_was_never_initialised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 1
    assert "Basis data belum disiapkan. Jalankan dulu: loket init" in result.output
    assert "Traceback" not in result.output
