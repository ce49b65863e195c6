"""The scheduler's jobs: plain async functions of (session, rules, now), run by every tick.

Each returns how many reminders, messages or steps it produced. Each is safe to run any number
of times: what must happen once is claimed in sent_reminders or by an outbox dedup key, in the
same transaction as the message it causes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.workflow.rules import Rules
from scheduler.jobs.complaints import complaint_autoclose, complaint_reminders
from scheduler.jobs.digest import unit_digests
from scheduler.jobs.objections import objection_reminders
from scheduler.jobs.ratings import rating_requests
from scheduler.jobs.requesters import progress_updates, survey_invitations
from scheduler.jobs.requests import request_reminders

Job = Callable[[AsyncSession, Rules, dt.datetime], Awaitable[int]]

# Auto-close runs before the reminders so a case it closes gets no reminder in the same tick.
JOBS: tuple[Job, ...] = (
    complaint_autoclose,
    request_reminders,
    complaint_reminders,
    objection_reminders,
    unit_digests,
    progress_updates,
    survey_invitations,
    rating_requests,
)
