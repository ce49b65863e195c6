"""Column helpers shared by the table modules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware in UTC (the only kind of datetime the store keeps)."""
    return dt.datetime.now(dt.UTC)


def json_column() -> Any:
    """A JSON column that is portable between SQLite and PostgreSQL."""
    return Column(JSON, nullable=False, default=dict)
