"""Registers: masked by default; --reveal shows personal data and audits every case shown."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner

from app.cli.main import app
from app.settings import Settings
from bot.errors import DomainError
from bot.reports.register import REVEAL_ACTION
from bot.services import Services
from sandbox.examples.registry import load_example
from store.db import Database
from store.models import Event


def _reveal_events(url: str) -> int:
    async def go() -> int:
        db = Database.from_url(url)
        try:
            async with db.session() as session:
                stmt = select(func.count()).where(Event.action == REVEAL_ACTION)
                return int(await session.scalar(stmt) or 0)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_register_masks_personal_data(loket: CliRunner, seeded_url: str, tmp_path: Path) -> None:
    before = _reveal_events(seeded_url)
    out = tmp_path / "register.csv"
    result = loket.invoke(
        app, ["report", "register", "--year", "2023", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = _rows(out.read_bytes())
    header = rows[4]
    assert header[:6] == [
        "No",
        "Nomor pendaftaran",
        "Tanggal diterima",
        "Nama",
        "Alamat",
        "Kontak (telepon/e-mail)",
    ]
    first = rows[5]
    assert first[1] == "PPID/2023/000001" and first[4] == "***" and "*" in first[5]
    assert first[3].endswith(".")  # initials only
    assert sum(1 for r in rows if r and r[0].isdigit()) == 671
    assert _reveal_events(seeded_url) == before


def test_register_reveal_is_audited_per_case(
    loket: CliRunner, seeded_url: str, tmp_path: Path
) -> None:
    before = _reveal_events(seeded_url)
    out = tmp_path / "register.xlsx"
    result = loket.invoke(
        app, ["report", "register", "--year", "2023", "--reveal", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out)["Register permohonan"]
    first = [c.value for c in sheet[5]]
    assert first[4].startswith("Jl. Gajah Mada") and first[5].startswith("+62812")
    assert _reveal_events(seeded_url) == before + 671


def test_loading_an_example_twice_is_refused(seeded_url: str) -> None:
    async def go() -> None:
        db = Database.from_url(seeded_url)
        settings = Settings(_env_file=None, database_url=seeded_url)  # type: ignore[call-arg]
        try:
            with pytest.raises(DomainError) as err:
                await load_example(db, settings, "seed-004", dt.datetime.now(dt.UTC))
            assert err.value.key == "example.already_loaded"
        finally:
            await db.dispose()

    asyncio.run(go())


async def test_what_requesters_wrote_is_masked_in_the_public_register(services: Services) -> None:
    from bot.reports.register import register_document
    from bot.workflow.rules import load_rules
    from tests.support.builders import COMPLETE_REQUEST, make_case

    wrote = "Data bansos atas NIK 3171014501900001, hubungi wa.me/6281234567890"
    await make_case(services, details={**COMPLETE_REQUEST, "information_requested": wrote,
                                       "purpose": "Klaim, email saya siti@example.id"})  # fmt: skip
    year = services.clock.now().year
    now = services.clock.now()
    async with services.db.session() as session:
        rules = await load_rules(session, services.settings)
        masked = await register_document(session, rules, year, reveal=False, actor="t", now=now)
        shown = await register_document(session, rules, year, reveal=True, actor="t", now=now)
    [row] = masked.tables[0].rows
    assert "Data bansos atas NIK 3171********0001, hubungi wa.me/62812*****890" in row
    assert "Klaim, email saya s***@example.id" in row
    assert wrote in shown.tables[0].rows[0]  # --reveal (audited) shows what was written
