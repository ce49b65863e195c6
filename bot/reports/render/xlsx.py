"""Excel (openpyxl): one sheet per table with its headers, a total row and an embedded chart."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.i18n import t
from bot.reports.document import Document, Table, format_cell

HEADER_ROW = 4  # rows 1-2: title and subtitle; row 3 empty
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
BOLD = Font(bold=True)


def _unique_name(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = name[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _write_table(ws: Worksheet, table: Table, subtitle: str) -> None:
    ws["A1"] = table.title
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = subtitle
    ws.append([])
    ws.append(list(table.headers))
    for cell in ws[HEADER_ROW]:
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in (*table.rows, *([table.footer] if table.footer is not None else [])):
        ws.append(list(row))
        for cell, value in zip(ws[ws.max_row], row, strict=False):
            if isinstance(value, Decimal):  # RHP keeps its two decimals, as the seed prints it
                cell.number_format = "0." + "0" * max(-int(value.as_tuple().exponent), 0)
    if table.footer is not None:
        for cell in ws[ws.max_row]:
            cell.font = BOLD
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    for i, header in enumerate(table.headers, 1):
        longest = max(
            [len(header) // 2 + 1, *(len(format_cell(r[i - 1])) for r in table.rows)], default=8
        )
        ws.column_dimensions[get_column_letter(i)].width = min(max(longest + 2, 8), 60)
    if table.chart is not None and table.rows:
        _add_chart(ws, table)


def _add_chart(ws: Worksheet, table: Table) -> None:
    chart_spec = table.chart
    assert chart_spec is not None
    first, last = HEADER_ROW + 1, HEADER_ROW + len(table.rows)
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = chart_spec.title
    chart.legend = None if len(chart_spec.value_columns) == 1 else chart.legend
    chart.height = max(7.5, 0.6 * len(table.rows) + 2)
    chart.width = 18
    for column in chart_spec.value_columns:
        data = Reference(ws, min_col=column + 1, min_row=HEADER_ROW, max_row=last)
        chart.add_data(data, titles_from_data=True)
    labels = chart_spec.label_column + 1
    chart.set_categories(Reference(ws, min_col=labels, min_row=first, max_row=last))
    chart.y_axis.majorGridlines = None
    chart.x_axis.scaling.orientation = "maxMin"  # first row at the top, as in the table
    anchor = f"{get_column_letter(len(table.headers) + 2)}{HEADER_ROW}"
    ws.add_chart(chart, anchor)


def render_xlsx(document: Document) -> bytes:
    """The report as an .xlsx workbook: a sheet per table, then a sheet with the notes."""
    workbook = Workbook()
    default = workbook.active
    taken: set[str] = set()
    for table in document.tables:
        ws = workbook.create_sheet(_unique_name(table.name, taken))
        _write_table(ws, table, f"{document.title} — {document.subtitle}")
    texts = [(s.heading, s.text) for s in document.sections if s.text.strip()]
    if texts:
        ws = workbook.create_sheet(_unique_name(t("annual.sheet.texts", document.language), taken))
        ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 40, 120
        for heading, text in texts:
            ws.append([heading, text])
            ws.cell(ws.max_row, 1).font = BOLD
            ws.cell(ws.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    if document.notes:
        ws = workbook.create_sheet(_unique_name(t("report.notes", document.language), taken))
        ws["A1"], ws["A1"].font = t("report.notes", document.language), BOLD
        for i, note in enumerate(document.notes, 3):
            ws.cell(row=i, column=1, value=note).alignment = Alignment(wrap_text=True)
        ws.column_dimensions["A"].width = 120
    if default is not None:
        workbook.remove(default)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
