"""Per-kind, per-year counters behind reference numbers."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from store.models._base import QuickInit


class ReferenceCounter(QuickInit, SQLModel, table=True):
    """The last number issued for one prefix in one year."""

    __tablename__ = "reference_counters"

    prefix: str = Field(primary_key=True, max_length=32)
    year: int = Field(primary_key=True)
    last: int = 0


class ReferencePoolNumber(QuickInit, SQLModel, table=True):
    """A number of a prefix's year counted out of its counter and not issued yet (PostgreSQL:
    bot.cases.references takes one without waiting for another transaction's)."""

    __tablename__ = "reference_pool"

    prefix: str = Field(primary_key=True, max_length=32)
    year: int = Field(primary_key=True)
    number: int = Field(primary_key=True)
