"""The complaint recap's SQL aggregations on both backends: every status, RV, the admin table."""

from __future__ import annotations

import datetime as dt

from bot.reports.complaint_officers import actor_name
from bot.reports.complaints import complaint_figures, complaints_document
from bot.services import Services
from bot.workflow import complaints as wf
from bot.workflow.rules import load_rules
from store.enums import CaseKind
from tests.support.builders import make_case, make_unit

RINA = "officer:7:Rina"


async def test_statuses_rv_and_admin_table(services: Services) -> None:
    unit_a = await make_unit(services, "dinkes", "Dinas Kesehatan")
    unit_b = await make_unit(services, "dishub", "Dinas Perhubungan")
    await make_unit(services, "bkd", "Badan Kepegawaian")
    cases = [await make_case(services, kind=CaseKind.COMPLAINT) for _ in range(5)]
    now = services.clock.now()  # Monday 5 January 2026
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        _, held, forwarded, processing, waiting = cases
        for case in cases:
            session.add(case)
        for case, unit in ((held, unit_a), (processing, unit_a), (waiting, unit_b)):
            await wf.verify_and_dispose(
                session, case, unit_id=unit.id, rules=rules, actor=RINA, now=now
            )
        await wf.hold(session, held, reason="Menunggu data", rules=rules, actor=RINA, now=now)
        await wf.start_processing(session, processing, rules=rules, actor="unit", now=now)
        await wf.not_our_authority(
            session, forwarded, destination="Polda", rules=rules, actor=RINA, now=now
        )
    async with services.db.session() as session:
        rules = await load_rules(session, services.settings)
        figures = await complaint_figures(
            session, rules, dt.date(2026, 1, 1), dt.date(2026, 1, 31), dt.date(2026, 1, 8)
        )
    data = complaints_document(figures, "id", "PPID").data
    rows = {row["unit"]: row for row in data["units"]}
    assert list(rows) == [
        "Dinas Kesehatan",
        "Dinas Perhubungan",
        "Badan Kepegawaian",
        "(belum didisposisi ke unit)",
    ]
    a, b, none = rows["Dinas Kesehatan"], rows["Dinas Perhubungan"], rows["Badan Kepegawaian"]
    assert (a["on_hold"], a["in_process"], a["total"], a["pct_tl"]) == (1, 1, 1, 100)
    assert (b["not_followed_up"], b["total"], b["pct_tl"]) == (1, 1, 0)
    assert none["total"] == 0 and none["pct_tl"] == 0
    pending = rows["(belum didisposisi ke unit)"]
    assert (pending["unverified"], pending["forwarded"], pending["total"]) == (1, 1, 1)
    assert pending["rv"] == 3.0  # Monday 5 -> Thursday 8 January: three working days
    total = data["total"]
    assert (total["total"], total["pct_tl"], total["rv"]) == (3, 33.33, 3.0)
    (admin,) = data["admins"]
    assert admin["name"] == "Rina" and admin["verifications"] == 3 and admin["on_hold"] == 1
    assert (admin["verified_within"], admin["dispositions_within"]) == (3, 3)


def test_actor_names() -> None:
    assert actor_name("officer:12:Admin Provinsi Ntt2") == "Admin Provinsi Ntt2"
    assert actor_name("cli:root") == "cli:root"
