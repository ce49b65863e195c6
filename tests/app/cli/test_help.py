"""`--help` in the configured language, on a fresh machine with nothing configured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from app.cli.localised import help_key, walk
from app.cli.main import app
from bot.i18n import LANGUAGES, catalogue

LOKET = str(Path(sys.executable).parent / "loket")


def _tree() -> list[str]:
    keys = []
    for path, command in walk(typer.main.get_command(app)):
        keys.append(help_key(path))
        keys += [help_key(path, p.name) for p in command.params if p.name]
    return keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_command_and_option_has_its_help_in_the_catalogue(language: str) -> None:
    missing = [key for key in _tree() if key not in catalogue(language)]
    assert missing == [], "add these help texts to bot/locales/*/cli.json (or your area file)"


def _help(tmp_path: Path, *args: str, **env: str) -> str:
    done = subprocess.run(
        [LOKET, *args, "--help"], capture_output=True, text=True, cwd=tmp_path, timeout=60,
        check=False, env={"PATH": "/usr/bin:/bin", "COLUMNS": "120", **env},
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    return done.stdout


def test_help_is_indonesian_on_a_fresh_machine(tmp_path: Path) -> None:
    text = _help(tmp_path)
    assert "Catat dan periksa kasus." in text and "Perintah" in text
    assert "Register and inspect cases." not in text
    edit = _help(tmp_path, "officers", "edit")
    assert "Tambah satu peran" in edit and "Tampilkan bantuan ini lalu keluar." in edit
    assert not (tmp_path / "loket.db").exists()  # help touches no database


def test_help_follows_the_language_setting_of_the_environment_or_env_file(tmp_path: Path) -> None:
    assert "Register and inspect cases." in _help(tmp_path, LANGUAGE="en")
    (tmp_path / ".env").write_text("language=en\nTIMEZONE=Mars/Base\n")
    english = _help(tmp_path, "report", "annual")
    assert "Calendar year (local time)" in english and "Options" in english
    # The environment wins over .env, as for every other setting.
    assert "Tahun kalender (waktu setempat)" in _help(tmp_path, "report", "annual", LANGUAGE="id")
