"""CSV: each table as a section (title row, header row, rows, total), then the notes."""

from __future__ import annotations

import csv
import io

from bot.reports.document import Document


def render_csv(document: Document) -> bytes:
    """All tables in one CSV file, separated by an empty row; UTF-8 with BOM for Excel."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([document.title])
    writer.writerow([document.subtitle])
    for table in document.tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.headers)
        writer.writerows(["" if v is None else v for v in row] for row in table.rows)
        if table.footer is not None:
            writer.writerow(["" if v is None else v for v in table.footer])
    if document.notes:
        writer.writerow([])
        writer.writerows([note] for note in document.notes)
    return out.getvalue().encode("utf-8-sig")
