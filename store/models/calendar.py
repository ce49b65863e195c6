"""Body-specific changes to the national working-day calendar."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from store.models._base import QuickInit, utcnow


class CalendarOverride(QuickInit, SQLModel, table=True):
    """A date the body closes (extra holiday) or opens (works despite a cuti bersama)."""

    __tablename__ = "calendar_overrides"

    day: dt.date = Field(primary_key=True)
    kind: str = Field(max_length=8)
    name: str = Field(default="", max_length=255)
    created_at: dt.datetime = Field(default_factory=utcnow)


class CalendarStamp(QuickInit, SQLModel, table=True):
    """The fingerprint of the calendar inputs the stored dates were computed under."""

    __tablename__ = "calendar_stamps"

    what: str = Field(primary_key=True, max_length=32)
    fingerprint: str = Field(max_length=64)
    stamped_at: dt.datetime = Field(default_factory=utcnow)
