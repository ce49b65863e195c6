"""The report commands reproduce the seeds' published figures (seed 001 and seed 004)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
from typer.testing import CliRunner

from app.cli.main import app
from sandbox.examples import seed_004

# The seed's recap was read from LAPOR! in February 2025 (its "Terakhir Dilihat" column ends
# on 2025-02-04): its statuses are as of that day, not as of 31 December 2024.
SEED_004_PERIOD = ("--from", "2024-01-01", "--to", "2024-12-31", "--as-of", "2025-02-04")


def _json(loket: CliRunner, *args: str) -> dict[str, Any]:
    result = loket.invoke(app, ["report", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_annual_report_reproduces_seed_001(loket: CliRunner) -> None:
    data = _json(loket, "annual", "--year", "2023")
    assert data["requests_total"] == 671
    assert data["by_channel"]["email"] + data["by_channel"]["buku_tamu"] == 671 - 244
    assert data["by_channel"]["whatsapp"] == 244
    assert sum(data["by_month"].values()) == 671 and len(data["by_month"]) == 12
    # "tidak ada permohonan informasi publik yang dilayani melampaui waktu yang ditentukan"
    assert data["within_17"] == 671 and data["late"] == 0 and data["max_working_days"] <= 17
    assert data["granted_full"] + data["granted_partial"] == 671  # "671 ... dikabulkan"
    assert data["refused"] == 0 and set(data["refused_by_ground"].values()) == {0}
    assert data["objections"]["total"] == 0 and data["disputes"]["total"] == 0
    assert data["undecided"] == 0 and data["within_10"] == 671 - data["extended"]
    assert {
        "requests_total",
        "by_channel",
        "by_month",
        "within_10",
        "within_17",
        "late",
        "granted_full",
        "granted_partial",
        "refused",
        "refused_by_ground",
        "objections",
    } <= set(data)


def test_annual_report_of_an_empty_year_is_all_zeros(loket: CliRunner) -> None:
    data = _json(loket, "annual", "--year", "2021")
    assert data["requests_total"] == 0 and data["average_working_days"] == 0


def test_complaint_recap_reproduces_seed_004(loket: CliRunner) -> None:
    data = _json(loket, "complaints", *SEED_004_PERIOD)
    total = data["total"]
    assert (total["unverified"], total["not_followed_up"], total["in_process"]) == (0, 0, 0)
    assert (total["done"], total["on_hold"], total["archived"], total["total"]) == (44, 0, 4, 44)
    assert (total["pct_tl"], total["rtl"], total["rhp"], total["rv"]) == (100, 7.1, 5.0, 0)
    units = {u["unit"]: u for u in data["units"]}
    seed_units = [name for name, _, _ in seed_004.UNITS_WITH_CASES]
    assert set(seed_units) | set(seed_004.UNITS_WITHOUT_CASES) <= set(units)
    expected_rtl = (0.8, 9.7, 7.5, 1.5, 1.3, 24.8, 24, 0.5, 4, 0, 8, 1, 1, 0)
    expected_done = (6, 6, 6, 6, 4, 4, 3, 2, 2, 1, 1, 1, 1, 1)
    for name, rtl, done in zip(seed_units, expected_rtl, expected_done, strict=True):
        row = units[name]
        assert (row["done"], row["total"], row["rtl"]) == (done, done, rtl), name
        assert row["pct_tl"] == 100, name  # row 14's "0" in the seed contradicts the formula
    rated = {name for name, row in units.items() if row["rhp"]}
    assert rated == {seed_units[1], seed_units[13]}  # BKD and Pertanian: 5.00
    assert all(units[n]["total"] == 0 for n in seed_004.UNITS_WITHOUT_CASES)
    # the seed's order: most complaints first, then by name
    assert [u["unit"] for u in data["units"][:4]] == sorted(seed_units[:4])
    (admin,) = data["admins"]
    assert admin["name"] == seed_004.ADMIN
    assert (admin["verified_within"], admin["verified_after"]) == (22, 20)
    assert admin["verify_average_days"] == 6.9
    assert (admin["verifications"], admin["on_hold"], admin["archived"]) == (42, 0, 3)
    assert (admin["dispositions"], admin["dispositions_within"]) == (43, 32)
    assert admin["dispositions_after"] == 11
    for row in [*data["units"], data["total"]]:
        assert {
            "unit",
            "unverified",
            "not_followed_up",
            "in_process",
            "done",
            "on_hold",
            "archived",
            "total",
            "pct_tl",
            "rtl",
            "rhp",
            "rv",
        } <= set(row)


def test_annual_xlsx_reads_back_with_charts(loket: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "annual.xlsx"
    result = loket.invoke(
        app, ["report", "annual", "--year", "2023", "--format", "xlsx", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:3] == ["Ringkasan", "Per saluran", "Per bulan"]
    channels = book["Per saluran"]
    assert [c.value for c in channels[4]] == ["Saluran", "Jumlah permohonan", "%"]
    rows = {r[0]: r[1:] for r in channels.iter_rows(min_row=5, values_only=True)}
    assert rows["WhatsApp"] == (244, 36.36) and rows["Jumlah"] == (671, 100)
    months = book["Per bulan"]
    assert len(months._charts) == 1 and len(channels._charts) == 1
    assert months["A5"].value == "Januari"
    assert sum(r[1] for r in months.iter_rows(min_row=5, max_row=16, values_only=True)) == 671


def test_complaint_recap_xlsx_html_csv_text(loket: CliRunner, tmp_path: Path) -> None:
    period = list(SEED_004_PERIOD)
    for fmt in ("xlsx", "html", "csv", "text"):
        out = tmp_path / f"recap.{fmt}"
        result = loket.invoke(
            app, ["report", "complaints", *period, "--format", fmt, "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "recap.xlsx")
    recap = book["Rekap per unit"]
    header = [c.value for c in recap[4]]
    assert header[:7] == [
        "Unit kerja / Perangkat Daerah",
        "Belum Terverifikasi",
        "Belum Ditindaklanjuti",
        "Proses",
        "Selesai",
        "Tunda",
        "Arsip",
    ]
    assert header[-4:] == ["%TL", "RTL", "RHP", "RV"]
    last = [c.value for c in recap[recap.max_row]]
    assert last[0] == "Jumlah" and last[4] == 44 and last[6] == 4
    # RHP with two decimals, as the seed prints it ("5.00"; "0" where nobody rated).
    assert recap.cell(recap.max_row, header.index("RHP") + 1).number_format == "0.00"
    html = (tmp_path / "recap.html").read_text(encoding="utf-8")
    assert "<script" not in html and "Admin Provinsi Ntt2" in html
    text = (tmp_path / "recap.text").read_text(encoding="utf-8")
    assert "RTL (rata-rata tindak lanjut)" in text  # the formulas are in the notes
    total_line = next(line for line in text.splitlines() if line.startswith("Jumlah "))
    assert total_line.split()[-2:] == ["5.00", "0"]  # RHP 5.00, RV 0


def test_annual_html_is_self_contained_with_inline_charts(loket: CliRunner) -> None:
    result = loket.invoke(app, ["report", "annual", "--year", "2023", "--format", "html"])
    assert result.exit_code == 0
    html = result.output
    assert (
        html.count("<svg") == 4
        and "<script" not in html
        and "http" not in html.replace("http://www.w3.org/2000/svg", "")
    )
    # The notes explain the counting in words, without the program's internal names.
    assert "@media print" in html and "Hari terima adalah hari ke-0" in html
    assert "WorkingCalendar" not in html and "working_days_between" not in html


SEED_004 = next((Path(__file__).parents[4] / "shared" / "seeds").glob("004_*.txt"))
SEED_TABLE_HEADER = "Unit Kerja\tBelum Terverifikasi"


def _seed_count(cell: str) -> int:
    """A count cell of the scanned seed table; OCR turned some zeros into "()" or "C)"."""
    cell = cell.strip()
    return int(cell) if cell.isdigit() else 0


def published_unit_rows() -> dict[str, tuple[int, ...]]:
    """The seed's per-unit table as printed: unit -> (unverified, not followed up, process, done).

    Read from the seed text itself, independently of the example loader.
    """
    lines = SEED_004.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(SEED_TABLE_HEADER))
    rows: dict[str, tuple[int, ...]] = {}
    for line in lines[start + 1 :]:
        if line.startswith("☐"):
            break
        cells = line.split("\t")
        name = cells[0].strip()
        # Skip blank lines, the body-wide row and an OCR-garbled duplicate the scan left behind.
        if len(cells) < 5 or not name.startswith(
            ("Badan", "Biro", "Dinas", "DINAS", "Insp", "RSUD", "Satuan", "Sekretariat", "PTD")
        ):
            continue  # fmt: skip
        if name.startswith("Dadas"):
            continue
        rows[name] = tuple(_seed_count(c) for c in cells[1:5])
    return rows


def test_complaint_recap_matches_the_seed_table_row_by_row(loket: CliRunner) -> None:
    published = published_unit_rows()
    assert len(published) == 40  # every unit of the province, zeros included
    data = _json(loket, "complaints", *SEED_004_PERIOD)
    ours = {u["unit"].casefold(): u for u in data["units"]}
    for name, (unverified, pending, process, done) in published.items():
        # The scan cut one name short ("PTD Pendapatan / SAMSAT Kota" for UPTD ... Kota Kupang).
        [row] = [u for key, u in ours.items() if name.casefold() in key]
        got = (row["unverified"], row["not_followed_up"], row["in_process"], row["done"])
        assert got == (unverified, pending, process, done), name


def test_complaint_recap_status_per_the_end_of_the_period(loket: CliRunner) -> None:
    data = _json(loket, "complaints", "--from", "2024-01-01", "--to", "2024-12-31")
    assert data["as_of"] == "2024-12-31"  # a past period: statuses at its end, not today's
    total = data["total"]
    # Received on 30-31 December, verified on 2 January 2025: still unverified at year end;
    # one more was archived only on 3 January 2025.
    assert total["unverified"] == 3 and total["archived"] == 3
    assert total["done"] + total["in_process"] + total["not_followed_up"] == 42
    later = loket.invoke(
        app, ["report", "complaints", "--from", "2024-01-01", "--to", "2024-12-31",
              "--as-of", "2999-01-01"],
    )  # fmt: skip
    assert later.exit_code == 2 and "2999-01-01" in later.output
