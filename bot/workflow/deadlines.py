"""Which date each open case is due by, from its kind, status and the statutory periods."""

from __future__ import annotations

import datetime as dt

from bot.workflow.rules import Rules
from store.enums import CaseKind, ComplaintStatus, ObjectionStatus, RequestStatus
from store.models import Case


def request_clock_start(case: Case, rules: Rules) -> dt.date:
    """The local date an information request's clock starts (day 0).

    UU KIP Pasal 22(7) counts from receipt; a body that configures COUNT_FROM_COMPLETE counts
    from the day the required fields were complete instead (domain.md §2).
    """
    if rules.settings.count_from_complete and case.completed_at is not None:
        return rules.local_date(case.completed_at)
    return rules.local_date(case.received_at)


def request_base_due(case: Case, rules: Rules) -> dt.date:
    """The 10-working-day notice deadline, before any extension."""
    return rules.calendar.add_working_days(
        request_clock_start(case, rules), rules.settings.request_response_days
    )


def compute_due_date(case: Case, rules: Rules) -> dt.date | None:
    """The date the body's next statutory step is due on, or None when nothing is owed."""
    s, cal = rules.settings, rules.calendar
    if case.kind == CaseKind.INFORMATION_REQUEST:
        if case.status == RequestStatus.DECIDED:
            return case.due_date
        days = s.request_response_days + (case.extension_days or 0)
        return cal.add_working_days(request_clock_start(case, rules), days)
    if case.kind == CaseKind.COMPLAINT:
        return _complaint_due(case, rules)
    if case.kind == CaseKind.OBJECTION:
        if case.status == ObjectionStatus.REGISTERED:
            return cal.add_working_days(rules.local_date(case.received_at), s.objection_answer_days)
        return case.due_date
    raise ValueError(f"unknown case kind {case.kind!r}")


def _complaint_due(case: Case, rules: Rules) -> dt.date | None:
    s, cal = rules.settings, rules.calendar
    status = case.status
    if status == ComplaintStatus.UNVERIFIED:
        return cal.add_working_days(rules.local_date(case.received_at), s.complaint_verify_days)
    if status in (ComplaintStatus.DISPOSED, ComplaintStatus.IN_PROCESS):
        if case.followed_up_at is not None:
            # The follow-up is posted: the date is when the case closes by itself.
            return cal.add_working_days(
                rules.local_date(case.followed_up_at), s.complaint_autoclose_days
            )
        anchor = case.reopened_at or case.disposed_at or case.received_at
        return cal.add_working_days(rules.local_date(anchor), s.complaint_followup_days)
    return None if status == ComplaintStatus.ON_HOLD else case.due_date


def objection_filing_deadline(ground_arose_on: dt.date, rules: Rules) -> dt.date:
    """Last day to file an objection: 30 working days after the ground arose (Pasal 35(2))."""
    return rules.calendar.add_working_days(ground_arose_on, rules.settings.objection_filing_days)


def dispute_filing_deadline(answered_on: dt.date, rules: Rules) -> dt.date:
    """Last day to take the dispute to the Komisi Informasi (Pasal 37(2): 14 working days)."""
    return rules.calendar.add_working_days(answered_on, rules.settings.dispute_filing_days)


def is_overdue(case: Case, today: dt.date) -> bool:
    """True when the case has a due date that lies before `today` (local date)."""
    return case.due_date is not None and case.due_date < today
