"""When messages may go out: officers in office hours on working days, requesters outside the
quiet hours (domain.md §1). Anything due outside its window goes at the next allowed instant.
"""

from __future__ import annotations

import datetime as dt

from bot.clock import ensure_aware
from bot.workflow.rules import Rules


def _local(now: dt.datetime, rules: Rules) -> dt.datetime:
    return ensure_aware(now).astimezone(rules.settings.tz)


def in_office_hours(now: dt.datetime, rules: Rules) -> bool:
    """True when `now` is within office hours (start inclusive, end exclusive) of a working day."""
    local = _local(now, rules)
    s = rules.settings
    return (
        rules.calendar.is_working_day(local.date())
        and s.office_hours_start <= local.time() < s.office_hours_end
    )


def next_office_time(now: dt.datetime, rules: Rules) -> dt.datetime:
    """`now` if it is within office hours, else the start of the next office day (UTC)."""
    if in_office_hours(now, rules):
        return ensure_aware(now)
    local = _local(now, rules)
    day = local.date()
    if local.time() >= rules.settings.office_hours_start:
        day += dt.timedelta(days=1)
    day = rules.calendar.next_working_day(day)
    start = dt.datetime.combine(day, rules.settings.office_hours_start, tzinfo=rules.settings.tz)
    return start.astimezone(dt.UTC)


def in_quiet_hours(now: dt.datetime, rules: Rules) -> bool:
    """True when `now` falls in the requesters' quiet hours (default 21:00-06:00 local)."""
    at = _local(now, rules).time()
    start, end = rules.settings.quiet_hours_start, rules.settings.quiet_hours_end
    if start == end:
        return False
    if start < end:
        return start <= at < end
    return at >= start or at < end


def next_requester_time(now: dt.datetime, rules: Rules) -> dt.datetime:
    """`now` unless it is in the quiet hours; then the instant the quiet hours end (UTC)."""
    if not in_quiet_hours(now, rules):
        return ensure_aware(now)
    local = _local(now, rules)
    end = rules.settings.quiet_hours_end
    day = local.date() if local.time() < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=rules.settings.tz).astimezone(dt.UTC)
