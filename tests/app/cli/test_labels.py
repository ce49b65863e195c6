"""Tables and `cases show` name codes in words (issue #9: no raw `complaint`, `fee_paid: False`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli.main import app
from bot.labels import (
    channel_label,
    kind_label,
    roles_label,
    status_label,
    yes_no,
)
from channels.email.labels import mail_disposition_label, mail_kind_label


def test_label_functions_use_the_catalogue_and_show_unknown_codes_as_they_are() -> None:
    assert kind_label("complaint") == "Pengaduan"
    assert kind_label("complaint", "en") == "Complaint"
    assert status_label("complaint", "unverified") == "Belum terverifikasi"
    assert status_label("complaint", "from_the_future") == "from_the_future"
    assert channel_label("buku_tamu") == "Buku tamu (datang langsung)"
    assert roles_label(["atasan", "ppid_pelaksana"]) == "PPID Pelaksana, Atasan PPID"
    assert (yes_no(True), yes_no(False, "en")) == ("Ya", "No")
    assert (mail_kind_label("bounce", "en"), mail_disposition_label("review")) == (
        "Bounce", "Perlu ditinjau"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("language", "words", "codes"),
    [
        ("id", ["Pengaduan", "Belum terverifikasi", "Telepon"], ["complaint", "unverified"]),
        ("en", ["Complaint", "Not yet verified", "Telephone"], ["complaint", "unverified"]),
    ],
)
def test_cases_list_and_show_print_labels(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str,
    words: list[str], codes: list[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    env = {"DATABASE_URL": db_url, "LANGUAGE": language, "COLUMNS": "200"}
    runner = CliRunner()
    new = ["cases", "new", "--kind", "complaint", "--channel", "telepon", "--description", "x"]
    registered = runner.invoke(app, new, env=env)
    assert registered.exit_code == 0, registered.stderr
    reference = registered.stdout.split()[1].rstrip(",")
    table = runner.invoke(app, ["cases", "list"], env=env).stdout
    shown = runner.invoke(app, ["cases", "show", reference], env=env).stdout
    for text in (table, shown):
        assert all(word in text for word in words), text
        assert not any(code in text for code in codes), text
    assert "fee_paid" not in shown and "False" not in shown
    paid = "Biaya sudah dibayar: Tidak" if language == "id" else "Fee paid: No"
    assert f"  {paid}" in shown.splitlines()
