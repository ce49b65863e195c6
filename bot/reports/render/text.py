"""Plain text for the terminal: aligned tables and bar charts drawn with block characters."""

from __future__ import annotations

from bot.reports.document import Cell, Document, Table, format_cell

BAR_WIDTH = 40


def _number(value: Cell) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _table_lines(table: Table) -> list[str]:
    body = [*table.rows, *([table.footer] if table.footer is not None else [])]
    cells = [list(table.headers), *([format_cell(v) for v in row] for row in body)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(table.headers))]

    numeric = [
        all(isinstance(row[i], int | float | None) for row in body)
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


def render_text(document: Document) -> bytes:
    """The whole report as UTF-8 text."""
    lines = [document.title, document.subtitle, "=" * max(len(document.title), 20)]
    for table in document.tables:
        lines += ["", *_table_lines(table), *_chart_lines(table)]
    if document.notes:
        lines += ["", *(f"* {note}" for note in document.notes)]
    return ("\n".join(lines) + "\n").encode("utf-8")
