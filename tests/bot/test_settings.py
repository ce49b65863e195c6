"""Settings: the statutory defaults, `.env.example` in step with the code, one-line errors."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from app.settings import Settings, load_settings
from bot.settings import SettingsError

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"


def test_defaults_are_the_statutory_values() -> None:
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (s.database_url, s.timezone, s.language) == ("sqlite:///loket.db", "Asia/Jakarta", "id")
    assert (s.cuti_bersama_closed, s.extra_closed_dates, s.extra_working_dates) == (True, [], [])
    assert (s.request_response_days, s.request_extension_days, s.count_from_complete) == (
        10,
        7,
        False,
    )
    assert (s.objection_filing_days, s.objection_answer_days, s.dispute_filing_days) == (30, 30, 14)
    assert (s.complaint_verify_days, s.complaint_followup_days, s.complaint_autoclose_days) == (
        3,
        5,
        10,
    )
    assert (s.office_hours_start, s.office_hours_end) == (dt.time(8), dt.time(16))
    assert (s.quiet_hours_start, s.quiet_hours_end) == (dt.time(21), dt.time(6))


def _example_entries() -> dict[str, tuple[str, str]]:
    """KEY -> (value, the comment block above it) from .env.example."""
    entries: dict[str, tuple[str, str]] = {}
    comment: list[str] = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            comment.append(line)
        elif m := re.fullmatch(r"([A-Z0-9_]+)=(.*)", line):
            entries[m.group(1)] = (m.group(2), "\n".join(comment))
        elif not line.strip():
            comment = []
    return entries


def test_every_setting_is_in_env_example_with_a_comment() -> None:
    entries = _example_entries()
    assert set(entries) == {name.upper() for name in Settings.model_fields}
    assert all(comment for _, comment in entries.values())


def test_env_example_shows_the_defaults() -> None:
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    from_example = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]
    for name in Settings.model_fields:
        assert getattr(from_example, name) == getattr(defaults, name), name


def test_secrets_do_not_show_in_repr() -> None:
    s = Settings(_env_file=None, smtp_password="hunter2", telegram_bot_token="1:abc")  # type: ignore[call-arg]
    assert "hunter2" not in repr(s) and "1:abc" not in repr(s)


def test_dotenv_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "TIMEZONE=Asia/Makassar\nEXTRA_CLOSED_DATES=2026-01-07, 2026-02-02\nLANGUAGE=en\n"
    )
    monkeypatch.setenv("LANGUAGE", "id")  # the environment wins over .env
    s = load_settings()
    assert (s.timezone, s.language) == ("Asia/Makassar", "id")
    assert s.extra_closed_dates == [dt.date(2026, 1, 7), dt.date(2026, 2, 2)]
    assert str(s.tz) == "Asia/Makassar"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("TIMEZONE", "Mars/Base", "TIMEZONE: unknown time zone 'Mars/Base'"),
        ("REQUEST_RESPONSE_DAYS", "abc", "REQUEST_RESPONSE_DAYS: Input should be a valid integer"),
        ("REQUEST_RESPONSE_DAYS", "0", "REQUEST_RESPONSE_DAYS: Input should be greater than"),
        ("EXTRA_CLOSED_DATES", "2025-13-01", "EXTRA_CLOSED_DATES: dates must be YYYY-MM-DD"),
        ("EXTRA_WORKING_DATES", "besok", "EXTRA_WORKING_DATES: dates must be YYYY-MM-DD"),
        ("CUTI_BERSAMA_CLOSED", "mungkin", "CUTI_BERSAMA_CLOSED: Input should be a valid boolean"),
        ("LANGUAGE", "fr", "LANGUAGE: Input should be 'id' or 'en'"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL: only sqlite:/// and postgresql://"),
        ("OFFICE_HOURS_START", "17:00", "OFFICE_HOURS_START must be before OFFICE_HOURS_END"),
    ],
)
def test_bad_setting_is_one_line_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    text = str(err.value)
    assert message in text
    assert "\n" not in text
    assert err.value.__cause__ is None and err.value.__suppress_context__
