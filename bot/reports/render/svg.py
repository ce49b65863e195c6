"""Horizontal bar charts as inline SVG: no script, no external resource, prints as drawn."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from bot.reports.document import Cell, Table, format_cell

ROW_HEIGHT, LABEL_WIDTH, BAR_SPACE, VALUE_SPACE, TITLE_HEIGHT = 22, 220, 360, 60, 28
PALETTE = ("#2f6f9f", "#d1822c", "#4a9a5b", "#8a5aa8")


def _number(value: Cell) -> float:
    return float(value) if isinstance(value, int | float | Decimal) else 0.0


def bar_chart_svg(table: Table) -> str:
    """An SVG drawing of the table's bar chart, or "" when the table has none."""
    chart = table.chart
    if chart is None:
        return ""
    series = chart.value_columns
    values = [[_number(row[c]) for c in series] for row in table.rows]
    top = max((v for row in values for v in row), default=0) or 1
    band = ROW_HEIGHT * len(series)
    height = TITLE_HEIGHT + band * len(table.rows) + 8
    width = LABEL_WIDTH + BAR_SPACE + VALUE_SPACE
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(chart.title)}">',
        f'<text x="0" y="18" font-size="14" font-weight="bold">{escape(chart.title)}</text>',
    ]
    for i, (row, row_values) in enumerate(zip(table.rows, values, strict=True)):
        y0 = TITLE_HEIGHT + i * band
        label = escape(format_cell(row[chart.label_column]))
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y0 + ROW_HEIGHT * 0.7:.1f}" font-size="12" '
            f'text-anchor="end">{label}</text>'
        )
        for j, value in enumerate(row_values):
            y = y0 + j * ROW_HEIGHT + 3
            length = value / top * BAR_SPACE
            colour = PALETTE[j % len(PALETTE)]
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" '
                f'height="{ROW_HEIGHT - 6}" fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + ROW_HEIGHT * 0.55:.1f}" '
                f'font-size="12">{escape(format_cell(row[series[j]]))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
