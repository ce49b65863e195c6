"""Plain text for the terminal: aligned tables and bar charts drawn with block characters."""

from __future__ import annotations

import textwrap
from decimal import Decimal

from bot.reports.document import Cell, Document, Section, Table, blocks, format_cell

BAR_WIDTH = 40
TEXT_WIDTH = 90


def _number(value: Cell) -> float:
    return float(value) if isinstance(value, int | float | Decimal) else 0.0


def _table_lines(table: Table) -> list[str]:
    body = [*table.rows, *([table.footer] if table.footer is not None else [])]
    cells = [list(table.headers), *([format_cell(v) for v in row] for row in body)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(table.headers))]

    numeric = [
        all(isinstance(row[i], int | float | Decimal | None) for row in body)
        for i in range(len(table.headers))
    ]

    def line(row: list[str]) -> str:
        parts = [
            value.rjust(width) if numeric[i] else value.ljust(width)
            for i, (value, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "-" * len(line(cells[0]))
    lines = [table.title, rule, line(cells[0]), rule, *(line(r) for r in cells[1 : len(cells)])]
    if table.footer is not None:
        lines.insert(-1, rule)
    return lines


def _chart_lines(table: Table) -> list[str]:
    chart = table.chart
    if chart is None:
        return []
    lines: list[str] = []
    for column in chart.value_columns:
        values = [_number(row[column]) for row in table.rows]
        top = max(values, default=0) or 1
        width = max((len(format_cell(row[chart.label_column])) for row in table.rows), default=0)
        for row, value in zip(table.rows, values, strict=True):
            bar = "█" * round(value / top * BAR_WIDTH)
            label = format_cell(row[chart.label_column]).ljust(width)
            lines.append(f"{label} │{bar} {format_cell(row[column])}")
    return ["", *lines]


def _text_lines(text: str) -> list[str]:
    lines: list[str] = []
    for kind, items in blocks(text):
        if kind in ("ul", "ol"):
            marks = [f"{n}." if kind == "ol" else "-" for n in range(1, len(items) + 1)]
            for mark, item in zip(marks, items, strict=True):
                wrapped = textwrap.wrap(item, TEXT_WIDTH - 6) or [""]
                lines += [f"  {mark} {wrapped[0]}", *(f"     {rest}" for rest in wrapped[1:])]
            lines.append("")
        else:
            lines += [*textwrap.wrap(items[0], TEXT_WIDTH), ""]
    return lines


def _section_lines(section: Section) -> list[str]:
    rule = "=" if section.level == 1 else "-"
    lines = ["", section.heading, rule * min(len(section.heading), TEXT_WIDTH), ""]
    lines += _text_lines(section.text)
    for table in section.tables:
        lines += [*_table_lines(table), *_chart_lines(table), ""]
    return lines


def render_text(document: Document) -> bytes:
    """The whole report as UTF-8 text."""
    lines = [*document.cover, *([""] if document.cover else [])]
    lines += [document.title, document.subtitle, "=" * max(len(document.title), 20)]
    if document.sections:
        for section in document.sections:
            lines += _section_lines(section)
        if document.signature:
            lines += ["", *(" " * 40 + line for line in document.signature)]
    for table in () if document.sections else document.tables:
        lines += ["", *_table_lines(table), *_chart_lines(table)]
    if document.notes:
        lines += ["", *(f"* {note}" for note in document.notes)]
    return ("\n".join(lines) + "\n").encode("utf-8")
