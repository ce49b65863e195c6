"""HTML: one self-contained, printable page; charts are inline SVG (no script, no CDN)."""

from __future__ import annotations

from html import escape

from bot.i18n import t
from bot.reports.document import Document, Table, format_cell
from bot.reports.render.svg import bar_chart_svg

STYLE = """
body { font-family: "Segoe UI", Arial, sans-serif; font-size: 11pt; margin: 2em; color: #111; }
h1 { font-size: 16pt; margin-bottom: 0; }
.subtitle { color: #444; margin-top: 0.2em; }
section { margin: 1.5em 0; page-break-inside: avoid; break-inside: avoid; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #999; padding: 0.2em 0.5em; }
th { background: #e8eef4; text-align: left; }
td.num { text-align: right; }
tfoot td { font-weight: bold; background: #f4f4f4; }
.notes { font-size: 9pt; color: #333; }
@media print { body { margin: 1cm; } @page { size: A4 landscape; margin: 1cm; } }
"""


def _cell(value: object, tag: str = "td") -> str:
    numeric = isinstance(value, int | float)
    css = ' class="num"' if numeric and tag == "td" else ""
    return f"<{tag}{css}>{escape(format_cell(value))}</{tag}>"  # type: ignore[arg-type]


def _table_html(table: Table) -> str:
    head = "".join(_cell(h, "th") for h in table.headers)
    body = "".join(f"<tr>{''.join(_cell(v) for v in row)}</tr>" for row in table.rows)
    foot = ""
    if table.footer is not None:
        foot = f"<tfoot><tr>{''.join(_cell(v) for v in table.footer)}</tr></tfoot>"
    chart = bar_chart_svg(table)
    return (
        f"<section><h2>{escape(table.title)}</h2>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{foot}</table>"
        f"{f'<figure>{chart}</figure>' if chart else ''}</section>"
    )


def render_html(document: Document) -> bytes:
    """The whole report as one UTF-8 HTML page."""
    notes = "".join(f"<li>{escape(note)}</li>" for note in document.notes)
    heading = escape(t("report.notes", document.language))
    page = (
        f'<!DOCTYPE html><html lang="{escape(document.language)}"><head><meta charset="utf-8">'
        f"<title>{escape(document.title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(document.title)}</h1>"
        f'<p class="subtitle">{escape(document.subtitle)}</p>'
        f"{''.join(_table_html(t) for t in document.tables)}"
        f"{f'<section class=notes><h2>{heading}</h2><ul>{notes}</ul></section>' if notes else ''}"
        "</body></html>\n"
    )
    return page.encode("utf-8")
