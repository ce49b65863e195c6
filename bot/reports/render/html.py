"""HTML: one self-contained, printable page; charts are inline SVG (no script, no CDN).

A long report (sections, cover, letterhead, signature) is laid out as a document with a cover
page; the same page, in print form, is what the PDF renderer hands to WeasyPrint.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from bot.i18n import t
from bot.letters.letterhead import LETTERHEAD_STYLE
from bot.letters.pdf import PRINT_STYLE
from bot.reports.document import Document, Section, Table, blocks, format_cell
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
.cover { text-align: center; }
.cover .line { font-size: 15pt; font-weight: bold; margin: 0.4em 0; }
.cover .title { font-size: 20pt; }
h2.part { font-size: 13pt; margin-top: 1.6em; }
h3 { font-size: 11.5pt; }
p.text { text-align: justify; }
.contents li { margin: 0.15em 0; }
@media print { body { margin: 1cm; } @page { size: A4 landscape; margin: 1cm; } }
"""
# The PDF: portrait A4 with the letter margins of bot.letters.pdf; long sections may break across
# pages, a table's rows stay readable in 9.5pt.
PRINT_EXTRA = """
body { margin: 0; }
section { page-break-inside: auto; break-inside: auto; }
table { font-size: 9.5pt; page-break-inside: auto; }
tr, figure { page-break-inside: avoid; break-inside: avoid; }
thead { display: table-header-group; }
.cover { page-break-after: always; break-after: page; padding-top: 3cm; }
h2.part { page-break-after: avoid; break-after: avoid; }
"""
WIDE_PAGE = "@page { size: A4 landscape; margin: 1.5cm; }"
WIDE_TABLE = 7  # columns: a wider table needs a landscape page


def _cell(value: object, tag: str = "td") -> str:
    numeric = isinstance(value, int | float | Decimal)
    css = ' class="num"' if numeric and tag == "td" else ""
    return f"<{tag}{css}>{escape(format_cell(value))}</{tag}>"  # type: ignore[arg-type]


def _table_html(table: Table, heading: str = "h2") -> str:
    head = "".join(_cell(h, "th") for h in table.headers)
    body = "".join(f"<tr>{''.join(_cell(v) for v in row)}</tr>" for row in table.rows)
    foot = ""
    if table.footer is not None:
        foot = f"<tfoot><tr>{''.join(_cell(v) for v in table.footer)}</tr></tfoot>"
    chart = bar_chart_svg(table)
    return (
        f"<section><{heading}>{escape(table.title)}</{heading}>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{foot}</table>"
        f"{f'<figure>{chart}</figure>' if chart else ''}</section>"
    )


def text_html(text: str) -> str:
    """Narrative text as paragraphs and lists, escaped."""
    parts = []
    for kind, items in blocks(text):
        if kind in ("ul", "ol"):
            listed = "".join(f"<li>{escape(i)}</li>" for i in items)
            parts.append(f"<{kind}>{listed}</{kind}>")
        else:
            parts.append(f'<p class="text">{escape(items[0])}</p>')
    return "".join(parts)


def _section_html(section: Section) -> str:
    tag = "h2" if section.level == 1 else "h3"
    css = ' class="part"' if section.level == 1 else ""
    tables = "".join(_table_html(t, "h4") for t in section.tables)
    return f"<{tag}{css}>{escape(section.heading)}</{tag}>{text_html(section.text)}{tables}"


def _cover_html(document: Document) -> str:
    lines = "".join(
        f'<div class="line{" title" if i == 1 else ""}">{escape(line)}</div>'
        for i, line in enumerate(document.cover)
    )
    return f'<div class="cover">{document.letterhead_html}{lines}</div>'


def _signature_html(document: Document) -> str:
    if document.signature_html:
        return document.signature_html
    if not document.signature:
        return ""
    return (
        '<div class="signature">'
        + "".join(f"<div>{escape(line) or '&nbsp;'}</div>" for line in document.signature)
        + "</div>"
    )


def page_html(document: Document, *, for_print: bool = False) -> str:
    """The whole report as one HTML page (`for_print`: the PDF's portrait A4 layout)."""
    notes = "".join(f"<li>{escape(note)}</li>" for note in document.notes)
    heading = escape(t("report.notes", document.language))
    style = STYLE + LETTERHEAD_STYLE
    if for_print:
        wide = any(len(table.headers) > WIDE_TABLE for table in document.tables)
        style = STYLE.split("@media print")[0] + LETTERHEAD_STYLE + PRINT_STYLE + PRINT_EXTRA
        style += WIDE_PAGE if wide else ""
    if document.sections:
        front = _cover_html(document) if document.cover else ""
        parts = "".join(_section_html(s) for s in document.sections)
    else:
        front = document.letterhead_html
        parts = "".join(_table_html(table) for table in document.tables)
    title = (
        ""
        if document.cover
        else f'<h1>{escape(document.title)}</h1><p class="subtitle">{escape(document.subtitle)}</p>'
    )
    page = (
        f'<!DOCTYPE html><html lang="{escape(document.language)}"><head><meta charset="utf-8">'
        f"<title>{escape(document.title)}</title><style>{style}</style></head><body>"
        f"{front}{title}"
        f"{parts}{_signature_html(document)}"
        f"{f'<section class=notes><h2>{heading}</h2><ul>{notes}</ul></section>' if notes else ''}"
        "</body></html>\n"
    )
    return page


def render_html(document: Document) -> bytes:
    """The whole report as one UTF-8 HTML page."""
    return page_html(document).encode("utf-8")
