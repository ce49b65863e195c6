"""Renderers: each turns a report Document into one file format, computing nothing."""

from __future__ import annotations

from collections.abc import Callable

from bot.reports.document import Document
from bot.reports.render.csv import render_csv
from bot.reports.render.html import render_html
from bot.reports.render.json import render_json
from bot.reports.render.pdf import render_pdf
from bot.reports.render.text import render_text
from bot.reports.render.xlsx import render_xlsx

RENDERERS: dict[str, Callable[[Document], bytes]] = {
    "text": render_text,
    "csv": render_csv,
    "json": render_json,
    "xlsx": render_xlsx,
    "html": render_html,
    "pdf": render_pdf,
}
BINARY_FORMATS = frozenset({"xlsx", "pdf"})


def render(document: Document, fmt: str) -> bytes:
    """The document in format `fmt` (text, csv, json, xlsx, html, pdf), as bytes (text: UTF-8)."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}") from None
    return renderer(document)
