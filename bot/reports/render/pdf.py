"""PDF: the report's print page (letterhead, sections, signature) through WeasyPrint."""

from __future__ import annotations

from bot.letters.pdf import html_to_pdf
from bot.reports.document import Document
from bot.reports.render.html import page_html


def render_pdf(document: Document) -> bytes:
    """The report as a PDF (A4; landscape when a table is too wide for portrait)."""
    return html_to_pdf(page_html(document, for_print=True))
