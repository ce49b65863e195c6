"""The working-day calendar on the real 2024-2026 Indonesian calendars (holidays 0.109).

Every expected date is counted by hand from the SKB 3 Menteri lists of libur nasional and cuti
bersama; the comments show the count. Day of receipt is day 0; the due date is the Nth working
day strictly after it, so a receipt on a Saturday or holiday counts from the next working day.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.settings import Settings
from bot.calendar.workdays import WorkingCalendar
from bot.workflow.rules import build_calendar

D = dt.date.fromisoformat
ROOT = Path(__file__).resolve().parents[2]
NATIONAL = WorkingCalendar()
CUTI_OPEN = WorkingCalendar(cuti_bersama_closed=False)


def _skipped(calendar: WorkingCalendar, start: str, days: int) -> dict[str, str]:
    return {s.date.isoformat(): s.name for s in calendar.explain(D(start), days).skipped}


def test_lebaran_2025_the_issue_example() -> None:
    # After Thu 03-27: 28 cuti Nyepi, 29 Nyepi (Sat), 30 Sun, 31 Idul Fitri, 04-01 Idul Fitri 2,
    # 02 03 04 cuti, 05 06 weekend, 07 cuti | 08 09 10 11 (4) | 14 15 16 17 (8) | 18 Wafat
    # Yesus Kristus | 21 (9) 22 (10).
    assert NATIONAL.add_working_days(D("2025-03-27"), 10) == D("2025-04-22")
    assert _skipped(NATIONAL, "2025-03-27", 10) == {
        "2025-03-28": "Cuti Bersama Hari Suci Nyepi",
        "2025-03-29": "Hari Suci Nyepi (Sabtu)",
        "2025-03-30": "Minggu",
        "2025-03-31": "Hari Raya Idul Fitri",
        "2025-04-01": "Hari kedua dari Hari Raya Idul Fitri",
        "2025-04-02": "Cuti Bersama Hari Raya Idul Fitri",
        "2025-04-03": "Cuti Bersama Hari Raya Idul Fitri",
        "2025-04-04": "Cuti Bersama Hari Raya Idul Fitri",
        "2025-04-05": "Sabtu",
        "2025-04-06": "Minggu",
        "2025-04-07": "Cuti Bersama Hari Raya Idul Fitri",
        "2025-04-12": "Sabtu",
        "2025-04-13": "Minggu",
        "2025-04-18": "Wafat Yesus Kristus",
        "2025-04-19": "Sabtu",
        "2025-04-20": "Kebangkitan Yesus Kristus (Minggu)",
    }


def test_lebaran_2025_with_cuti_bersama_as_working_days() -> None:
    # CUTI_BERSAMA_CLOSED=false: 03-28 (1) | 04-02 03 04 (4) | 07 08 09 10 11 (9) | 14 (10).
    assert CUTI_OPEN.add_working_days(D("2025-03-27"), 10) == D("2025-04-14")
    assert "2025-04-02" not in _skipped(CUTI_OPEN, "2025-03-27", 10)
    assert CUTI_OPEN.is_working_day(D("2025-04-07"))
    assert not CUTI_OPEN.is_working_day(D("2025-03-31"))  # Idul Fitri itself stays closed


def test_lebaran_2024() -> None:
    # After Fri 04-05: 06 07 weekend, 08 09 cuti, 10 11 Idul Fitri, 12 cuti, 13 14 weekend,
    # 15 cuti | 16 17 18 19 (4) | 22-26 (9) | 29 (10).
    assert NATIONAL.add_working_days(D("2024-04-05"), 10) == D("2024-04-29")
    skipped = _skipped(NATIONAL, "2024-04-05", 10)
    assert [d for d in skipped if d < "2024-04-16"] == [
        "2024-04-06", "2024-04-07", "2024-04-08", "2024-04-09", "2024-04-10",
        "2024-04-11", "2024-04-12", "2024-04-13", "2024-04-14", "2024-04-15",
    ]  # fmt: skip
    assert skipped["2024-04-12"] == "Cuti Bersama Hari Raya Idul Fitri"
    # Cuti bersama open: 08 09 (2) | 12 (3) | 15-19 (8) | 22 23 (10).
    assert CUTI_OPEN.add_working_days(D("2024-04-05"), 10) == D("2024-04-23")


def test_lebaran_2026_falls_on_a_weekend() -> None:
    # After Tue 03-17: 18 cuti Nyepi, 19 Nyepi, 20 cuti, 21 Idul Fitri (Sat), 22 Idul Fitri 2
    # (Sun), 23 24 cuti | 25 26 27 (3) | 30 31 04-01 04-02 (7) | 03 Wafat Yesus Kristus,
    # 05 Paskah (Sun) | 06 07 08 (10) 09 10 (12) | 13-17 (17).
    assert NATIONAL.add_working_days(D("2026-03-17"), 10) == D("2026-04-08")
    assert NATIONAL.add_working_days(D("2026-03-17"), 17) == D("2026-04-17")
    skipped = _skipped(NATIONAL, "2026-03-17", 10)
    assert skipped["2026-03-21"] == "Hari Raya Idul Fitri (Sabtu)"
    assert skipped["2026-03-22"] == "Hari kedua dari Hari Raya Idul Fitri (Minggu)"
    assert skipped["2026-03-20"] == "Cuti Bersama Hari Raya Idul Fitri"
    # Cuti bersama open: 18 20 (2) | 23 24 25 26 27 (7) | 30 31 04-01 (10).
    assert CUTI_OPEN.add_working_days(D("2026-03-17"), 10) == D("2026-04-01")


def test_election_days_2024_are_holidays() -> None:
    assert NATIONAL.closure_name(D("2024-02-14")) == "Hari Pemilihan Umum"
    assert NATIONAL.closure_name(D("2024-11-27")) == "Hari Pemilihan Kepala Daerah"


def test_received_on_a_saturday_counts_from_monday() -> None:
    # Sat 2026-01-10: Mon 12 is day 1 | 13 14 15 (4) | 16 Isra Mikraj | 19-23 (9) | 26 (10).
    assert NATIONAL.add_working_days(D("2026-01-10"), 10) == D("2026-01-26")
    assert NATIONAL.add_working_days(D("2026-01-10"), 1) == D("2026-01-12")
    # Received Sunday gives the same due date as received Saturday or Friday.
    assert NATIONAL.add_working_days(D("2026-01-11"), 10) == D("2026-01-26")
    assert NATIONAL.add_working_days(D("2026-01-09"), 10) == D("2026-01-26")


def test_received_on_a_holiday_counts_from_the_next_working_day() -> None:
    # Thu 2025-12-25 (Natal): 26 cuti, 27 28 weekend | 29 30 31 (3) | 01-01 Tahun Baru
    # | 02 (4) | 05-09 (9) | 12 (10).
    assert NATIONAL.add_working_days(D("2025-12-25"), 10) == D("2026-01-12")
    # Cuti bersama open: 26 (1) | 29 30 31 (4) | 02 (5) | 05-09 (10).
    assert CUTI_OPEN.add_working_days(D("2025-12-25"), 10) == D("2026-01-09")


def test_zero_days_is_the_first_working_day_on_or_after() -> None:
    assert NATIONAL.add_working_days(D("2026-01-05"), 0) == D("2026-01-05")
    assert NATIONAL.next_working_day(D("2025-03-28")) == D("2025-04-08")


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_extra_closed_dates_from_settings() -> None:
    calendar = build_calendar(_settings(extra_closed_dates="2026-01-07, 2026-01-08"))
    # After Mon 01-05: 06 (1) | 07 08 closed | 09 (2) | 12-15 (6) | 19-22 (10).
    assert calendar.add_working_days(D("2026-01-05"), 10) == D("2026-01-22")
    assert calendar.closure_name(D("2026-01-07")) == "Libur kantor (ditetapkan instansi)"


def test_extra_working_dates_from_settings() -> None:
    calendar = build_calendar(_settings(extra_working_dates="2026-01-16"))
    # Isra Mikraj worked: 06-09 (4) | 12-16 (9) | 19 (10).
    assert calendar.add_working_days(D("2026-01-05"), 10) == D("2026-01-19")


def test_cuti_bersama_setting_and_english_names() -> None:
    calendar = build_calendar(_settings(cuti_bersama_closed=False, language="en"))
    assert calendar.is_working_day(D("2025-12-26"))
    assert calendar.closure_name(D("2025-12-25")) == "Christmas Day"
    assert calendar.closure_name(D("2025-03-29")) == "Day of Silence (Saturday)"


def test_working_days_between() -> None:
    assert NATIONAL.working_days_between(D("2025-03-27"), D("2025-04-22")) == 10
    assert NATIONAL.working_days_between(D("2025-03-27"), D("2025-03-27")) == 0
    assert NATIONAL.working_days_between(D("2025-04-22"), D("2025-03-27")) == 0


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        NATIONAL.add_working_days(D("2026-01-05"), -1)


def test_explain_as_dict() -> None:
    data = NATIONAL.explain(D("2026-01-15"), 1).as_dict()
    assert data == {
        "start": "2026-01-15",
        "days": 1,
        "due": "2026-01-19",
        "skipped": [
            {"date": "2026-01-16", "name": "Isra Mikraj Nabi Muhammad"},
            {"date": "2026-01-17", "name": "Sabtu"},
            {"date": "2026-01-18", "name": "Minggu"},
        ],
    }


# --- properties ------------------------------------------------------------------------------

dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 12, 31))
CALENDARS = (
    NATIONAL,
    CUTI_OPEN,
    WorkingCalendar(
        closed={D("2025-04-08"): "Banjir", D("2026-01-06"): ""},
        opened=frozenset({D("2025-04-02"), D("2026-03-21")}),  # a cuti bersama and a Saturday
    ),
)
calendars = st.sampled_from(CALENDARS)
counts = st.integers(min_value=1, max_value=40)
FAST = settings(max_examples=150, deadline=None)


@FAST
@given(calendars, dates, counts)
def test_due_date_is_a_working_day_after_the_start(
    calendar: WorkingCalendar, start: dt.date, n: int
) -> None:
    due = calendar.add_working_days(start, n)
    assert calendar.is_working_day(due)
    assert due > start


@FAST
@given(calendars, dates, counts)
def test_due_date_strictly_increases_with_n(
    calendar: WorkingCalendar, start: dt.date, n: int
) -> None:
    assert calendar.add_working_days(start, n) < calendar.add_working_days(start, n + 1)


@FAST
@given(calendars, dates, counts)
def test_working_days_between_inverts_add(
    calendar: WorkingCalendar, start: dt.date, n: int
) -> None:
    assert calendar.working_days_between(start, calendar.add_working_days(start, n)) == n


@FAST
@given(calendars, dates, counts)
def test_explanation_accounts_for_every_day(
    calendar: WorkingCalendar, start: dt.date, n: int
) -> None:
    result = calendar.explain(start, n)
    # Every calendar day after the start up to the due date is either counted or skipped.
    assert n + len(result.skipped) == (result.due - start).days
    assert all(not calendar.is_working_day(s.date) and s.name for s in result.skipped)


@FAST
@given(calendars, dates)
def test_zero_days_is_the_next_working_day(calendar: WorkingCalendar, start: dt.date) -> None:
    first = calendar.add_working_days(start, 0)
    assert calendar.is_working_day(first) and first >= start
    assert (first == start) == calendar.is_working_day(start)
    assert first <= calendar.add_working_days(start, 1)


def test_the_national_calendar_is_loaded_at_start_up_not_at_the_first_due_date() -> None:
    # holidays' country registry imports every country at its first call (~55-100 ms with the
    # event loop stopped); it was the first case `loket run` opened (docs/benchmarks.md,
    # branch `tgfile`). Loaded with the module, a calendar's first question imports nothing.
    probe = (
        "import sys, datetime as dt\n"
        "from bot.calendar.workdays import WorkingCalendar\n"
        "before = set(sys.modules)\n"
        "WorkingCalendar().add_working_days(dt.date(2026, 3, 16), 10)\n"
        "print(sorted(m for m in set(sys.modules) - before if m.startswith('holidays')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"
