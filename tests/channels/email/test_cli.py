"""`loket mail check / poll / list / review / add-mailbox` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli.main import app
from tests.support.dovecot import DovecotServer
from tests.support.emails import make_email


@pytest.fixture
def loket(
    db_url: str,
    dovecot: DovecotServer,
    folder: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> CliRunner:
    """A CLI runner on the test database and the test's folder (cwd without a .env)."""
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "DATABASE_URL": db_url,
        "ATTACHMENT_DIR": str(tmp_path / "attachments"),
        "IMAP_HOST": "127.0.0.1",
        "IMAP_PORT": str(dovecot.port),
        "IMAP_SECURITY": "none",
        "IMAP_USER": dovecot.user,
        "IMAP_PASSWORD": dovecot.password,
        "IMAP_FOLDER": folder,
        "MAIL_FROM": "ppid@pemda.test",
        "REPLY_SECRET": "cli-secret",
        "LANGUAGE": "en",
    }.items():
        monkeypatch.setenv(key, value)
    return CliRunner()


def mail(loket: CliRunner, *args: str) -> Result:
    """`loket mail *args`."""
    return loket.invoke(app, ["mail", *args])


def test_check_says_what_is_wrong(loket: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    ok = mail(loket, "check")
    assert ok.exit_code == 0, ok.output
    assert "IMAP env: logged in" in ok.output and "through IDLE" in ok.output
    monkeypatch.setenv("REPLY_SECRET", "")
    unsigned = mail(loket, "check")
    assert unsigned.exit_code == 1 and "REPLY_SECRET is empty" in unsigned.output
    monkeypatch.setenv("IMAP_PASSWORD", "salah")
    bad = mail(loket, "check")
    assert bad.exit_code == 1 and "Check IMAP_USER and IMAP_PASSWORD" in bad.output
    monkeypatch.setenv("IMAP_HOST", "")
    assert "Email is not set up" in mail(loket, "check").output


def test_add_mailbox(loket: CliRunner, dovecot: DovecotServer) -> None:
    complaints = dovecot.new_folder("pengaduan")
    added = mail(loket, "add-mailbox", "Pengaduan", "--folder", complaints, "--kind", "complaint")
    assert added.exit_code == 0, added.output
    assert "Mailbox pengaduan added" in added.output
    assert mail(loket, "check").output.count("logged in") == 2
    again = mail(loket, "add-mailbox", "pengaduan", "--folder", complaints)
    assert again.exit_code == 2 and "already exists" in again.output
    assert mail(loket, "add-mailbox", "env").exit_code == 2
    assert mail(loket, "add-mailbox", "x", "--kind", "objection").exit_code == 2


def test_poll_list_and_review(loket: CliRunner, dovecot: DovecotServer, folder: str) -> None:
    dovecot.append(folder, make_email(sender="Siti <siti@warga.test>"))
    dovecot.append(folder, make_email(subject="Re: PPID/2026/000001 data", message_id="<x1@w>",
                                      sender="Orang <orang@warga.test>"))  # fmt: skip
    dovecot.append(folder, make_email(subject="Re: lama", message_id="<x2@w>",
                                      sender="Ani <ani@warga.test>"))  # fmt: skip
    dovecot.append(folder, make_email(sender="EMAIL_FROM", message_id="<x3@w>"))
    polled = mail(loket, "poll", "--once")
    assert polled.exit_code == 0, polled.output
    assert "env: 4 email(s) fetched; new cases 1, added to cases 0, to review 3" in polled.output

    listed = json.loads(mail(loket, "list", "--json").output)
    assert [r["disposition"] for r in listed] == ["new_case", "review", "review", "review"]
    assert listed[0]["case"] == "PPID/2026/000001" and listed[0]["sender"] == "s***@warga.test"
    queue = json.loads(mail(loket, "review", "--json").output)
    stranger, unmatched, no_sender = (row["id"] for row in queue)

    assert mail(loket, "review", "--attach", str(stranger)).exit_code == 2  # --to is needed
    attached = mail(loket, "review", "--attach", str(stranger), "--to", "ppid/2026/000001")
    assert attached.exit_code == 0 and "added to case PPID/2026/000001" in attached.output
    refused = mail(loket, "review", "--open", str(no_sender))
    assert refused.exit_code == 2 and "no sender address" in refused.output
    opened = mail(loket, "review", "--open", str(unmatched), "--kind", "complaint")
    assert opened.exit_code == 0 and "new case ADU/2026/000001" in opened.output
    assert mail(loket, "review", "--dismiss", str(no_sender)).exit_code == 0
    assert mail(loket, "review", "--dismiss", str(no_sender)).exit_code == 2  # not pending
    assert "No email waits for review" in mail(loket, "review").output

    outbox = json.loads(loket.invoke(app, ["outbox", "list", "--json"]).output)
    assert sorted(r["recipient"] for r in outbox) == ["a***@warga.test", "s***@warga.test"]
    assert [r["disposition"] for r in json.loads(mail(loket, "list", "--json").output)] == [
        "new_case", "appended", "new_case", "ignored"]  # fmt: skip
