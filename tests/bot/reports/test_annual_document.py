"""Issue 14 acceptance: `loket example load seed-001` then `loket report annual --year 2023
--format pdf` gives the seed's document: cover and letterhead, foreword, parts A-F in order
with their figures and percentages, the per-channel-by-month tables, and the signature."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from app.cli.main import app
from sandbox.examples.seed_001 import CHANNELS, MONTHS
from store.enums import Channel
from tests.support.pdf import pdf_text

BODY = {
    "BODY_NAME": "PPID Dinas Koperasi UKM",
    "BODY_PARENT": "Pemerintah Provinsi Kalimantan Barat",
    "BODY_ADDRESS": "Jl. Sutan Syahrir No. 5 Pontianak",
    "BODY_CONTACT": "(0561) 732771 · diskopukm@kalbarprov.go.id",
    "BODY_CITY": "Pontianak",
    "ATASAN_SIGNATORY_NAME": "Drs. Junaidi, MM",
    "ATASAN_SIGNATORY_POSITION": "Kepala Dinas Koperasi, Usaha Kecil dan Menengah",
}
HEADINGS = (
    "LAPORAN TAHUNAN",
    "KATA PENGANTAR",
    "DAFTAR ISI",
    "A. Gambaran Umum Kebijakan Layanan Informasi Publik",
    "B. Gambaran Umum Pelaksanaan Layanan Informasi Publik",
    "1. Sarana dan Prasarana",
    "2. Sumber Daya Manusia",
    "3. Anggaran Layanan Informasi Publik",
    "C. Rincian Layanan Informasi Publik",
    "1. Jumlah Permintaan Informasi Publik",
    "2. Waktu yang Diperlukan",
    "3. Jumlah Permintaan Informasi Publik yang Dikabulkan",
    "4. Jumlah Permintaan Informasi Publik yang Ditolak",
    "D. Rincian Penyelesaian Sengketa Informasi Publik",
    "1. Jumlah Keberatan yang Diterima",
    "2. Tanggapan atas Keberatan",
    "3. Jumlah Permohonan Penyelesaian Sengketa ke Komisi Informasi",
    "4. Hasil Mediasi dan/atau Keputusan Ajudikasi",
    "5. Jumlah Gugatan yang Diajukan ke Pengadilan",
    "6. Hasil Putusan Pengadilan",
    "E. Kendala Eksternal dan Internal",
    "1. Eksternal",
    "2. Internal",
    "F. Rekomendasi dan Rencana Tindak Lanjut",
    "a. Rekomendasi",
    "b. Rencana Tindak Lanjut",
    "PENUTUP",
)


@pytest.fixture
def body(loket: CliRunner, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The seeded CLI with the body's letterhead and signatory configured."""
    for key, value in BODY.items():
        monkeypatch.setenv(key, value)
    return loket


def _in_order(text: str, needles: tuple[str, ...], start: int = 0) -> list[int]:
    found, at = [], start
    for needle in needles:
        at = text.index(needle, at)
        found.append(at)
        at += len(needle)
    return found


def test_seed_001_pdf_has_the_seed_parts_in_order_and_its_figures(
    body: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "laporan.pdf"
    result = body.invoke(
        app, ["report", "annual", "--year", "2023", "--format", "pdf", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    # Cover with the letterhead, then the parts after the table of contents, in order.
    assert text.index("PEMERINTAH PROVINSI KALIMANTAN BARAT") < text.index("LAPORAN TAHUNAN")
    assert "PPID DINAS KOPERASI UKM TAHUN 2023" in text
    contents = text.index("DAFTAR ISI")
    _in_order(text, HEADINGS[:3])
    _in_order(text, HEADINGS[3:], start=text.index("PENUTUP", contents) + len("PENUTUP"))
    # The seed's own words in the written parts.
    for words in (
        "Segala puji dan syukur",  # foreword
        "INOVASI, INTEGRITAS DAN TRANSPARAN",  # A
        "Ruangan PPID",  # B.1
        "Nomor 630/DISKOPUKM/2023",  # B.2
        "tidak melengkapi pengisian syarat permohonan",  # E.1
        "minimnya anggaran",  # E.2
        "Budaya Pelayanan Prima",  # F.a
        "Adanya bagian humas",  # F.b
        "pengambilan kebijakan berikutnya",  # closing
    ):
        assert words in text, words
    # The seed's figures: 671 requests, all within 17 working days, all granted, none refused,
    # no objections, disputes or lawsuits, with their percentages.
    assert "menerima 671 permohonan informasi publik" in text
    whatsapp = CHANNELS[Channel.WHATSAPP]
    assert f"WhatsApp {whatsapp} ({round(whatsapp / 671 * 100, 2)}%)" in text
    assert "671 (100%) dalam 17 hari kerja" in text and "0 permohonan (0%) melewati" in text
    assert "sejumlah 671 permohonan dikabulkan (100%)" in text
    assert "0 permohonan (0%) ditolak" in text
    assert "diterima 0 keberatan (0% dari 671" in text
    assert "0 gugatan diajukan ke pengadilan (0%" in text
    # Per-channel-by-month tables, as the seed's "Rekapitulasi ... Melalui ..." tables.
    assert "Rekapitulasi Permintaan Informasi Publik melalui WhatsApp Tahun 2023" in text
    assert "Rekapitulasi Total Permohonan Informasi Publik melalui" in text
    assert re.search(r"Januari \d+ \d+ \d+ " + str(MONTHS[0]), text)
    # The budget part is empty in the seed: the report says how to fill it.
    assert "--edit budget --from-file" in text
    # The signature block after the closing; the notes in words.
    closing = text.index("pengambilan kebijakan berikutnya")
    assert text.index("Pontianak,", closing) < text.index("Drs. Junaidi, MM", closing)
    assert "Kepala Dinas Koperasi" in text[closing:]
    assert "WorkingCalendar" not in text and "working_days_between" not in text
    assert "Persentase = jumlah dibagi dasarnya" in text


def test_edit_a_section_from_a_file(body: CliRunner, tmp_path: Path) -> None:
    listing = body.invoke(app, ["report", "annual", "--year", "2023", "--edit", "list"])
    assert listing.exit_code == 0, listing.output
    assert "budget" in listing.output and "belum diisi" in listing.output
    assert "--from-file" in listing.output and "policy" in listing.output
    budget = tmp_path / "anggaran.txt"
    budget.write_text(
        "Anggaran layanan informasi tahun 2023 Rp 12.500.000, terpakai 96%.\n\n"
        "- Pemeliharaan situs web\n- Cetak brosur\n",
        encoding="utf-8",
    )
    saved = body.invoke(
        app,
        ["report", "annual", "--year", "2023", "--edit", "budget", "--from-file", str(budget)],
    )
    assert saved.exit_code == 0, saved.output
    assert "disimpan" in saved.output
    report = body.invoke(app, ["report", "annual", "--year", "2023"])
    assert report.exit_code == 0, report.output
    assert "Rp 12.500.000" in report.output and "  - Cetak brosur" in report.output
    data = json.loads(
        body.invoke(app, ["report", "annual", "--year", "2023", "--format", "json"]).output
    )
    assert data["sections"]["budget"].startswith("Anggaran layanan informasi")
    assert data["by_channel_month"]["whatsapp"]["2023-01"] >= 0
    unknown = body.invoke(
        app,
        ["report", "annual", "--year", "2023", "--edit", "anggaran", "--from-file", str(budget)],
    )
    assert unknown.exit_code == 2 and "budget" in unknown.output
    missing = body.invoke(
        app,
        ["report", "annual", "--year", "2023", "--edit", "budget", "--from-file", "nope.txt"],
    )
    assert missing.exit_code == 2 and "nope.txt" in missing.output


def test_annual_xlsx_has_the_month_by_channel_sheet_and_texts(
    body: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "annual.xlsx"
    result = body.invoke(
        app, ["report", "annual", "--year", "2023", "--format", "xlsx", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    cross = book["Bulan x saluran"]
    header = [c.value for c in cross[4]]
    assert header[0] == "Bulan" and header[-1] == "Jumlah" and "WhatsApp" in header
    last = [c.value for c in cross[17]]
    assert last[0] == "Jumlah" and last[-1] == 671
    assert last[header.index("WhatsApp")] == CHANNELS[Channel.WHATSAPP]
    texts = {row[0]: row[1] for row in book["Uraian"].iter_rows(values_only=True)}
    assert texts["KATA PENGANTAR"].startswith("Segala puji")
