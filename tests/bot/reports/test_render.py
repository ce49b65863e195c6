"""Renderers lay out a Document in every format without computing anything."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from bot.reports.document import BarChart, Document, Table, count_table
from bot.reports.render import render
from bot.reports.render.svg import bar_chart_svg

DOC = Document(
    title="Laporan <uji>",
    subtitle="PPID — 2026",
    tables=(
        count_table(
            "Per saluran",
            "Per saluran",
            ("Saluran", "Jumlah"),
            [("E-mail", 3), ("Telegram & <b>", 1)],
            chart=True,
            total_label="Jumlah",
        ),
        Table("Rata", "Rata-rata", ("Unit", "RTL"), (("A", 7.1), ("B", None))),
    ),
    notes=("RTL = rata-rata.",),
    data={"requests_total": 4},
)


def test_text_has_tables_bars_and_notes() -> None:
    text = render(DOC, "text").decode()
    assert "E-mail" in text and "█" * 40 in text and "* RTL = rata-rata." in text
    assert "7.1" in text and " -" in text


def test_csv_sections() -> None:
    rows = list(csv.reader(io.StringIO(render(DOC, "csv").decode("utf-8-sig"))))
    assert rows[0] == ["Laporan <uji>"] and ["E-mail", "3"] in rows and ["Jumlah", "4"] in rows


def test_json_is_the_data() -> None:
    assert json.loads(render(DOC, "json")) == {"requests_total": 4}


def test_html_escapes_and_draws_inline_svg() -> None:
    html = render(DOC, "html").decode()
    assert "Laporan &lt;uji&gt;" in html and "Telegram &amp; &lt;b&gt;" in html
    assert html.count("<svg") == 1 and "<script" not in html


def test_svg_bars_scale_to_the_largest_value() -> None:
    svg = bar_chart_svg(DOC.tables[0])
    assert 'width="360.0"' in svg and 'width="120.0"' in svg
    assert bar_chart_svg(DOC.tables[1]) == ""


def test_xlsx_one_sheet_per_table_and_notes() -> None:
    book = openpyxl.load_workbook(io.BytesIO(render(DOC, "xlsx")))
    assert book.sheetnames == ["Per saluran", "Rata", "Catatan"]
    assert book["Per saluran"]["A7"].value == "Jumlah" and book["Per saluran"]["B7"].value == 4
    assert len(book["Per saluran"]._charts) == 1


def test_tables_are_checked() -> None:
    with pytest.raises(ValueError):
        Table("a/b", "x", ("h",), ())
    with pytest.raises(ValueError):
        Table("ok", "x", ("h", "i"), (("only one",),))
    with pytest.raises(ValueError):
        render(DOC, "docx")
    assert BarChart("t").value_columns == (1,)
