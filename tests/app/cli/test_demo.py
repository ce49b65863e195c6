"""`loket demo` plays the whole story offline and ends with both reports."""

from __future__ import annotations

from typer.testing import CliRunner

from app.cli.main import app
from app.demo.scenario import ANDI_MAIL, ANDI_REQUEST, COMPLAINT, SITI_REQUEST, UNIT_NAME
from bot.i18n import t


def test_demo_runs_end_to_end_and_prints_both_reports() -> None:
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert SITI_REQUEST in out and ANDI_REQUEST in out and COMPLAINT in out
    # the email request was acknowledged through the SMTP sink
    assert f"📧 → {ANDI_MAIL}" in out and t("ack.subject", "id", reference=ANDI_REQUEST) in out
    # the officer's answer from the group chat reached Siti
    assert t("desk.reply_body", "id", reference=SITI_REQUEST, text="") in out
    # the extension, both decisions, a deadline reminder, the complaint closing by itself
    assert "UU KIP Pasal 22 ayat 8" in out
    assert out.count(t("sched.update.decision.granted_full", "id")) == 2
    assert t("sched.officer.before", "id", what="", reference="", due="", days="")[:10] in out
    auto_closed = t("sched.update.auto_closed", "id", reference=COMPLAINT, days=10)
    assert auto_closed[:40] in out
    assert "IKM" in out and "(mutu A)" in out
    # both reports, made from what just happened
    assert t("report.annual.title", "id", year=2026) in out
    recap = out.split(t("report.complaints.title", "id"))
    assert len(recap) == 2 and UNIT_NAME in recap[1]
    assert "Traceback" not in out
