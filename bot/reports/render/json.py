"""JSON: the report's data, keys as documented in issue 6."""

from __future__ import annotations

import json

from bot.reports.document import Document


def render_json(document: Document) -> bytes:
    """The document's data as indented UTF-8 JSON (dates as ISO strings)."""
    text = json.dumps(document.data, indent=2, ensure_ascii=False, default=str)
    return (text + "\n").encode("utf-8")
