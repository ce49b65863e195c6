"""What every report produces: titled tables (some with a bar chart), notes and a JSON form.

Renderers only lay a Document out; they never compute a figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Cell = str | int | float | None


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
class Document:
    """A whole report: title, subtitle (body and period), tables, notes, and its JSON data."""

    title: str
    subtitle: str
    tables: tuple[Table, ...]
    notes: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    language: str = "id"


def format_cell(value: Cell) -> str:
    """A cell as text: integers plain, other numbers with up to two decimals, None as '-'."""
    if value is None:
        return "-"
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
