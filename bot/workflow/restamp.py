"""Restamping the stored case dates when their calendar inputs changed at a restart.

The scheduler calls `restamp_if_stale` at the start of every tick, so an operator who edits
TIMEZONE, EXTRA_CLOSED_DATES or CUTI_BERSAMA_CLOSED (or installs a release with new holiday
data) never has to remember a command: the first tick after the restart recomputes the open
cases' due dates (each change logged, as for a calendar override), the report columns, the
events' recap columns (their local dates follow TIMEZONE) and the sweep columns, and records the
new fingerprint, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.calendar.overrides import recompute_open_cases
from bot.cases.audit import SYSTEM
from bot.settings import Settings
from bot.workflow.calendar_stamp import calendar_fingerprint, record_fingerprint, stored_fingerprint
from bot.workflow.event_columns import stamp_all_events
from bot.workflow.report_columns import stamp_all
from bot.workflow.rules import load_rules
from bot.workflow.sweep_columns import stamp_all_sweep

log = logging.getLogger(__name__)


async def restamp_if_stale(session: AsyncSession, settings: Settings, now: dt.datetime) -> bool:
    """Restamp every case if the stored fingerprint differs from `settings`'; True if it did.

    A database without a fingerprint (made before there was one, or new) only records it: its
    cases were stamped by the workflow or the migration under the settings in force.
    """
    conn = await session.connection()
    stored = await conn.run_sync(stored_fingerprint)
    if stored == calendar_fingerprint(settings):
        return False
    if stored is not None:
        rules = await load_rules(session, settings)
        changed = await recompute_open_cases(session, rules, SYSTEM, now)
        await session.flush()
        await conn.run_sync(stamp_all, rules)
        await conn.run_sync(stamp_all_events, rules)  # from the cases' receipt dates just stamped
        await conn.run_sync(stamp_all_sweep, rules)
        log.warning(
            "calendar settings changed: restamped the cases (%d due dates recomputed)", changed
        )
    await conn.run_sync(record_fingerprint, settings)
    return stored is not None
