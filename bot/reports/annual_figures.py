"""The figures of the annual report for one year: what bot.reports.annual counts and
bot.reports.annual_layout lays out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.reports.sql import Period
from bot.reports.workdays import Durations
from store.enums import Decision

PENDING = "pending"


@dataclass
class AnnualFigures:
    """Every number of the annual report for one year (counts by key, zeros included)."""

    year: int
    period: Period
    limits: tuple[int, int]  # the notice deadline and the hard maximum, in working days
    timezone: str = "Asia/Jakarta"
    requests_total: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    by_month: dict[int, int] = field(default_factory=dict)
    by_unit: dict[str | None, int] = field(default_factory=dict)
    decisions: dict[str, int] = field(default_factory=dict)  # Decision values + "pending"
    refused_by_ground: dict[str, int] = field(default_factory=dict)
    extended: int = 0
    taken: Durations = field(default_factory=Durations)
    late: int = 0
    objections_by_ground: dict[str, int] = field(default_factory=dict)
    atasan_answers: dict[str, int] = field(default_factory=dict)  # AtasanDecision + "pending"
    disputes_by_outcome: dict[str, int] = field(default_factory=dict)  # DisputeOutcome + pending
    by_channel_month: dict[str, dict[int, int]] = field(default_factory=dict)
    dispute_results: dict[str, int] = field(default_factory=dict)  # decided in the year
    court_filed: int = 0
    court_decided: int = 0

    @property
    def granted(self) -> int:
        """Requests granted in full or in part."""
        return self.decisions.get(Decision.GRANTED_FULL, 0) + self.decisions.get(
            Decision.GRANTED_PARTIAL, 0
        )

    @property
    def objections_total(self) -> int:
        """Objections received in the year."""
        return sum(self.objections_by_ground.values())

    @property
    def disputes_total(self) -> int:
        """Disputes taken to the Komisi Informasi in the year."""
        return sum(self.disputes_by_outcome.values())

    def as_json(self) -> dict[str, Any]:
        """The JSON form (keys as in issue 6 and domain.md §6)."""
        short, hard = self.limits
        return {
            "report": "annual",
            "year": self.year,
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "requests_total": self.requests_total,
            "by_channel": self.by_channel,
            "by_month": {f"{self.year}-{m:02d}": n for m, n in self.by_month.items()},
            "by_unit": [{"unit": name, "requests": n} for name, n in self.by_unit.items()],
            "decided": self.taken.count,
            "undecided": self.decisions.get(PENDING, 0),
            "average_working_days": self.taken.average(),
            "max_working_days": self.taken.maximum,
            "limits_working_days": {"notice": short, "maximum": hard},
            "within_10": self.taken.within_limit(short),
            "within_17": self.taken.within_limit(hard),
            "late": self.late,
            "extended": self.extended,
            **{d.value: self.decisions.get(d.value, 0) for d in Decision},
            "refused_by_ground": self.refused_by_ground,
            "objections": {
                "total": self.objections_total,
                "by_ground": self.objections_by_ground,
                "atasan_answers": self.atasan_answers,
            },
            "by_channel_month": {
                channel: {f"{self.year}-{m:02d}": n for m, n in months.items()}
                for channel, months in self.by_channel_month.items()
            },
            "granted": self.granted,
            "disputes": {
                "total": self.disputes_total,
                "by_outcome": self.disputes_by_outcome,
                "results_in_year": self.dispute_results,
                "court_cases": self.court_filed,
                "court_decisions": self.court_decided,
            },
        }
