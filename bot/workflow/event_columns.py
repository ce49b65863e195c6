"""What the complaint recap's officers' table groups on, stored on each audit event.

The officers' table counts, per officer, the verifications, dispositions, holds and archives of
complaints acted on in the period, with the working days from each complaint's receipt to the
action. It used to join every such event to its case (a table row read per event) and convert
`events.at` to a local date per row. Every event now carries:

- `case_kind`, `case_received_on`: the case's kind and local receipt date (a report column),
  copied when the event is written (`bot.cases.audit.record_event`, the one place events are
  made); a case's kind never changes, its receipt date only with TIMEZONE;
- `acted_on`: the local date of `at` in the body's time zone (TIMEZONE).

Rows written another way (the migration of existing databases, bulk loads) and every row after
a TIMEZONE change (bot/workflow/restamp.py) are stamped by `stamp_all_events`, two set-based
UPDATEs that run after the cases' own report columns are stamped (`stamp_all`).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.engine import Connection
from sqlmodel import col

from bot.reports.sql import local_date
from bot.workflow.rules import Rules
from store.models import Case, Event


def stamp_all_events(conn: Connection, rules: Rules) -> None:
    """Stamp the recap columns of every event set-wise (equal to what `record_event` stores):
    the local date of every event, then the case's kind and receipt date through one
    UPDATE ... FROM cases (PostgreSQL and SQLite >= 3.33 both run it as a join)."""
    conn.execute(
        update(Event).values(
            acted_on=local_date(col(Event.at), conn.dialect.name, rules.settings.tz)
        )
    )
    conn.execute(
        update(Event)
        .where(col(Event.case_id) == col(Case.id))
        .values(case_kind=col(Case.kind), case_received_on=col(Case.received_on))
    )
