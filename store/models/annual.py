"""The narrative sections of the annual report, kept per year (issue 14)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models._base import QuickInit, utcnow


class AnnualNarrative(QuickInit, SQLModel, table=True):
    """The text an operator wrote for one section (policy, facilities, ...) of one year."""

    __tablename__ = "annual_narratives"
    __table_args__ = (UniqueConstraint("year", "section", name="uq_annual_narrative"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    section: str = Field(max_length=32)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_by: str = Field(default="", max_length=128)
    updated_at: dt.datetime = Field(default_factory=utcnow)
