"""Acceptance of issue 3: `loket mail poll --once` against a mailbox holding the corpus plus
Indonesian requests exits 0, opens cases only for human mail, sends nothing to automatic
senders, and a second run changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from bot.services import Services
from store.models import Case, MailRecord
from tests.channels.email.conftest import loket_env, run_loket
from tests.channels.email.test_poller import snapshot
from tests.support.dovecot import DovecotServer
from tests.support.emails import INDONESIAN_REQUESTS, corpus_files
from tests.support.smtp import SmtpSink


async def test_poll_once_twice_then_flush(
    mail_services: Services,
    dovecot: DovecotServer,
    folder: str,
    smtp_server: SmtpSink,
    tmp_path: Path,
) -> None:
    for path in corpus_files():
        dovecot.append(folder, path.read_bytes())
    for raw in INDONESIAN_REQUESTS.values():
        dovecot.append(folder, raw)
    env = loket_env(mail_services)

    first = run_loket(env, tmp_path, "mail", "poll", "--once")
    assert first.returncode == 0, first.stderr[-2000:]
    assert f"env: {len(corpus_files()) + len(INDONESIAN_REQUESTS)} email" in first.stdout
    after_first = await snapshot(mail_services)
    second = run_loket(env, tmp_path, "mail", "poll", "--once")
    assert second.returncode == 0, second.stderr[-2000:]
    assert "env: 0 email" in second.stdout
    assert await snapshot(mail_services) == after_first

    async with mail_services.db.session() as session:
        records = (await session.exec(select(MailRecord))).all()
        cases = (await session.exec(select(Case))).all()
    case_kinds = {r.classification for r in records if r.case_id in {c.id for c in cases}}
    assert cases and case_kinds == {"human"}
    assert {r.subject for r in records if r.disposition == "new_case"} >= {
        "Permohonan data realisasi APBD 2025",
        "Minta data jumlah guru honorer",
    }

    listed = run_loket(env, tmp_path, "mail", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == len(records)
    assert {"message_id", "classification", "disposition", "case"} <= set(rows[0])
    assert all("@" not in (row["sender"] or "@").split("***")[0][1:] for row in rows)  # masked

    smtp = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server.port), "SMTP_SECURITY": "none"}
    flushed = run_loket(env | smtp, tmp_path, "outbox", "flush")
    assert flushed.returncode == 0, flushed.stderr[-2000:]
    delivered = {str(m["To"]).lower() for m in smtp_server.messages}
    automatic = {r.sender.lower() for r in records if r.classification != "human" and r.sender}
    assert len(smtp_server.messages) == len(cases) and not delivered & automatic
    assert all(str(m["Auto-Submitted"]).startswith("auto-") for m in smtp_server.messages)
