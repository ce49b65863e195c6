"""`loket whatsapp dead-letters`: what the inbox gave up on is listed without its content and
handed back with `--retry`, after which the running channel handles it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from app.cli.main import app as cli
from bot.intake.inbox import Inbox
from channels.whatsapp.receiver import inbox_items
from store.models import Case, InboundUpdate
from tests.channels.whatsapp.conftest import WhatsAppHarness

WA_ID = "6281234567890"


async def loket(args: list[str]) -> Any:
    """`loket *args` (in a thread: the CLI runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, cli, args)


async def test_a_dead_letter_is_listed_masked_and_retried(
    wa: WhatsAppHarness, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = wa.services.clock.now()
    payload = wa.api.citizen(WA_ID).message("text", {"body": "Minta data stunting 2025"})
    inbox = Inbox(wa.services.db)
    # what a message whose every attempt failed leaves behind (no worker running meanwhile)
    await wa.stop()
    await inbox.store(inbox_items(payload), now)
    async with wa.services.db.session() as session:
        (row,) = (await session.exec(select(InboundUpdate))).all()
    await inbox.failed(row.id, "GraphError: WhatsApp error 0: HTTP 503", now, final=True)  # type: ignore[arg-type]
    await wa.start()

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    listed = await loket(["whatsapp", "dead-letters", "--json"])
    assert listed.exit_code == 0, listed.output
    (letter,) = json.loads(listed.output)
    assert (letter["id"], letter["kind"], letter["number"]) == (row.id, "text", "**********890")
    assert "HTTP 503" in letter["last_error"]
    assert "stunting" not in listed.output and WA_ID not in listed.output  # no content, no number
    table = await loket(["whatsapp", "dead-letters"])
    assert "loket whatsapp dead-letters --retry" in table.output

    retried = await loket(["whatsapp", "dead-letters", "--retry", str(row.id)])
    assert retried.exit_code == 0, retried.output
    assert f"#{row.id}" in retried.output
    await wa.handled()
    async with wa.services.db.session() as session:
        case = (await session.exec(select(Case))).one()
    assert case.information_requested == "Minta data stunting 2025"
    again = await loket(["whatsapp", "dead-letters", "--retry", str(row.id)])
    assert again.exit_code == 2  # no such dead letter any more
    assert (await loket(["whatsapp", "dead-letters"])).output.strip() == (
        "Tidak ada pesan WhatsApp yang gagal diproses."
    )
