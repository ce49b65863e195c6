"""Answers to the satisfaction survey (SKM, PermenPANRB 14/2017): one row per case and element."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models._base import QuickInit, utcnow


class SurveyScore(QuickInit, SQLModel, table=True):
    """The requester's score (1-4) for one of the nine survey elements (1-9) of one case.

    Unique per (case, element): an element is answered once; the first answer stands.
    """

    __tablename__ = "survey_scores"
    __table_args__ = (UniqueConstraint("case_id", "element", name="uq_survey_case_element"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    element: int
    score: int
    answered_at: dt.datetime = Field(default_factory=utcnow, index=True)
