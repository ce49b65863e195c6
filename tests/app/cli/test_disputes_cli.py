"""`loket dispute ...` records a dispute's filing, result, lawsuit and court decision with the
dates of the letters; the annual report counts them; mistakes get one clear line."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner, Result

from app.cli.main import app
from bot.cases.opening import open_objection
from bot.services import Services
from bot.workflow import objections, requests
from store.enums import AtasanDecision, Channel, Decision
from store.models import Case, Event
from tests.bot.workflow.helpers import open_request, reload, step, wib


async def _answered_objection(services: Services) -> Case:
    request = await open_request(services, "2026-01-02")
    async with step(services, request, wib("2026-01-05")) as (s, c, rules, now):
        await requests.decide(
            s, c, decision=Decision.REFUSED, refusal_ground="c",
            consequence_test="Menghambat penyidikan", rules=rules, actor="t", now=now,
        )  # fmt: skip
    async with step(services, request, wib("2026-01-06")) as (s, c, rules, now):
        objection = await open_objection(
            s, c, ground="a", reason="Tidak puas", channel=Channel.EMAIL, rules=rules,
            actor="t", now=now,
        )  # fmt: skip
    async with step(services, objection, wib("2026-01-12")) as (s, c, rules, now):
        await objections.answer(
            s, c, decision=AtasanDecision.UPHELD, reasons="Pasal 17 c berlaku",
            atasan_name="Budi", atasan_position="Sekretaris Daerah", rules=rules,
            actor="t", now=now,
        )  # fmt: skip
    return await reload(services, objection)


async def test_a_dispute_recorded_from_the_command_line(
    services: Services, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    objection = await _answered_objection(services)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), env={"DATABASE_URL": db_url})

    async def loket(*args: str) -> Result:
        # The command runs its own event loop (asyncio.run), so in a thread of its own.
        return await asyncio.to_thread(invoke, *args)

    ref = objection.reference
    assert (await loket("dispute", "result", ref, "--outcome", "mediation")).exit_code == 2
    bad = await loket("dispute", "file", ref, "--date", "2026-13-01")
    assert bad.exit_code == 2 and "2026-13-01" in bad.output and "Traceback" not in bad.output
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    later = await loket("dispute", "file", ref, "--date", future)
    assert later.exit_code == 2 and "belum terjadi" in later.output
    # The 14 working days after the answer of Mon 2026-01-12 end on Mon 2026-02-02.
    late = await loket("dispute", "file", ref, "--date", "2026-02-03")
    assert late.exit_code == 2 and "2026-02-02" in late.output
    ok = await loket("dispute", "file", ref, "--date", "2026-01-20")
    assert ok.exit_code == 0 and ref in ok.output
    court_first = await loket("dispute", "court", ref, "--date", "2026-02-20")
    assert court_first.exit_code == 2  # a dispute still before the Commission cannot be in court
    early = await loket(
        "dispute", "result", ref, "--outcome", "adjudication", "--date", "2026-01-19"
    )
    assert early.exit_code == 2 and "2026-01-20" in early.output
    assert (
        (await loket(
            "dispute", "result", ref, "--outcome", "adjudication",
            "--text", "Permohonan dikabulkan", "--date", "2026-02-10",
        )).exit_code
        == 0
    )  # fmt: skip
    assert (
        await loket("dispute", "court", ref, "--date", "2026-02-20", "--court", "PTUN")
    ).exit_code == 0
    decided = await loket(
        "dispute", "court-decision", ref, "--text", "Gugatan ditolak", "--date", "2026-05-04"
    )
    assert decided.exit_code == 0, decided.output

    stored = await reload(services, objection)
    assert stored.dispute_outcome == "adjudication"
    assert stored.dispute_filed_at is not None and stored.court_result == "Gugatan ditolak"
    async with services.db.session() as session:
        actors = (
            await session.exec(select(Event.actor).where(Event.action == "record_court_decision"))
        ).all()
    assert actors and actors[0].startswith("cli:")
    data = json.loads(
        (await loket("report", "annual", "--year", "2026", "--format", "json")).output
    )
    disputes = data["disputes"]
    assert disputes["total"] == 1 and disputes["by_outcome"]["adjudication"] == 1
    assert disputes["results_in_year"]["adjudication"] == 1
    assert (disputes["court_cases"], disputes["court_decisions"]) == (1, 1)
    text = (await loket("report", "annual", "--year", "2026")).output
    assert "1 gugatan diajukan ke pengadilan (100% dari sengketa" in text
    assert "1 putusan pengadilan diterima (100% dari gugatan" in text
