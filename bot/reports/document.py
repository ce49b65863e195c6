"""What every report produces: titled tables (some with a bar chart), notes and a JSON form.

Renderers only lay a Document out; they never compute a figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Cell = str | int | float | Decimal | None
_NUMBERED = re.compile(r"^\d{1,3}[.)] ")


@dataclass(frozen=True)
class BarChart:
    """A bar chart of a table: labels from one column, one bar series per value column."""

    title: str
    label_column: int = 0
    value_columns: tuple[int, ...] = (1,)


@dataclass(frozen=True)
class Table:
    """One table of a report; `name` is short (an Excel sheet name, at most 31 characters)."""

    name: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    footer: tuple[Cell, ...] | None = None
    chart: BarChart | None = None

    def __post_init__(self) -> None:
        if len(self.name) > 31 or any(ch in self.name for ch in "[]:*?/\\"):
            raise ValueError(f"table name {self.name!r} cannot be an Excel sheet name")
        width = len(self.headers)
        if any(len(row) != width for row in self.rows) or (
            self.footer is not None and len(self.footer) != width
        ):
            raise ValueError(f"table {self.name!r}: every row needs {width} cells")


@dataclass(frozen=True)
class Section:
    """A headed part of a long report: text (paragraphs, "- " list items) and its tables.

    Level 1 is a lettered part (A-F), level 2 a numbered sub-part.
    """

    heading: str
    text: str = ""
    tables: tuple[Table, ...] = ()
    level: int = 1


@dataclass(frozen=True)
class Document:
    """A whole report: title, subtitle (body and period), tables, notes, and its JSON data.

    A long report (the annual one) also has a cover, sections in order (whose tables are
    `tables` too, for the formats that only list tables), and a signature block; the letterhead
    and signature HTML come from bot.letters.letterhead, built from the body's settings.
    """

    title: str
    subtitle: str
    tables: tuple[Table, ...]
    notes: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    language: str = "id"
    cover: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    signature: tuple[str, ...] = ()
    letterhead_html: str = ""
    signature_html: str = ""


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """Text as ("p", [paragraph]), ("ul", [items]) and ("ol", [items]) blocks: blank lines
    separate paragraphs; a paragraph whose every line starts with "- " (or "• ") is a list,
    one whose every line starts with "1. ", "2. " ... a numbered list."""
    found: list[tuple[str, list[str]]] = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        if all(line.startswith(("- ", "• ")) for line in lines):
            found.append(("ul", [line[2:].strip() for line in lines]))
        elif all(_NUMBERED.match(line) for line in lines):
            found.append(("ol", [_NUMBERED.sub("", line, count=1) for line in lines]))
        else:
            found.append(("p", [" ".join(lines)]))
    return found


def format_cell(value: Cell) -> str:
    """A cell as text: integers plain, other numbers with up to two decimals, a Decimal with
    exactly its own decimals (RHP "5.00"), None as '-'."""
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def count_table(
    name: str,
    title: str,
    headers: tuple[str, str],
    items: list[tuple[str, int]],
    *,
    chart: bool = False,
    total_label: str | None = None,
) -> Table:
    """A two-column table of labelled counts, optionally with a bar chart and a total row."""
    return Table(
        name=name,
        title=title,
        headers=headers,
        rows=tuple((label, n) for label, n in items),
        footer=(total_label, sum(n for _, n in items)) if total_label else None,
        chart=BarChart(title) if chart else None,
    )
