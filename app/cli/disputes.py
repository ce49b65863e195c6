"""`loket dispute ...`: record an objection's dispute at the Komisi Informasi and in court
(UU KIP Pasal 37-50), with the dates on the Commission's or the court's letters.

The same steps are on the objection card in Telegram (Atasan PPID, PPID Utama, admin); here
the operator at the keyboard records them, and the audit log names them.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import actor, run, say
from bot.errors import DomainError

if TYPE_CHECKING:
    from bot.services import Services

dispute_app = typer.Typer(
    help="Disputes of objections at the Komisi Informasi and in court.", no_args_is_help=True
)


class Outcome(StrEnum):
    """How the Komisi Informasi settled the dispute."""

    MEDIATION = "mediation"
    ADJUDICATION = "adjudication"
    WITHDRAWN = "withdrawn"


Reference = Annotated[str, typer.Argument(help="The objection's registration number")]
DateOption = Annotated[
    str | None, typer.Option("--date", help="Date on the letter, YYYY-MM-DD (default: today)")
]


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError("cli.bad_date", value=value) from None


def _record(reference: str, step: str, date_arg: str, date: str | None, **kwargs: object) -> str:
    # The workflow and the store when a command runs, not for `loket --help`.
    from bot.cases.opening import get_case
    from bot.workflow import objections
    from bot.workflow.rules import load_rules

    async def work(svc: Services) -> str:
        kwargs[date_arg] = _day(date)  # inside run(): a bad date is one clear line
        async with svc.db.transaction() as session:
            rules = await load_rules(session, svc.settings)
            case = await get_case(session, reference)
            fn = getattr(objections, step)
            await fn(session, case, rules=rules, actor=actor(), now=svc.clock.now(), **kwargs)
            return case.reference

    return run(work)


@dispute_app.command("file")
def dispute_file(reference: Reference, date: DateOption = None) -> None:
    """The requester took the objection to the Komisi Informasi (within 14 working days)."""
    ref = _record(reference, "file_dispute", "filed_on", date)
    say("annual.cli.recorded", reference=ref)


@dispute_app.command("result")
def dispute_result(
    reference: Reference,
    outcome: Annotated[Outcome, typer.Option("--outcome", help="How it was settled")],
    text: Annotated[str, typer.Option("--text", help="What was agreed or decided")] = "",
    date: DateOption = None,
) -> None:
    """The mediation agreement, the adjudication decision, or the withdrawal."""
    ref = _record(
        reference, "record_dispute_outcome", "decided_on", date, outcome=outcome.value, result=text
    )
    say("annual.cli.recorded", reference=ref)


@dispute_app.command("court")
def dispute_court(
    reference: Reference,
    court: Annotated[str, typer.Option("--court", help="The court, e.g. PTUN Jakarta")] = "",
    date: DateOption = None,
) -> None:
    """A lawsuit against the adjudication decision (UU KIP Pasal 47)."""
    ref = _record(reference, "file_court_case", "filed_on", date, court=court)
    say("annual.cli.recorded", reference=ref)


@dispute_app.command("court-decision")
def dispute_court_decision(
    reference: Reference,
    text: Annotated[str, typer.Option("--text", help="The decision and how it was carried out")],
    date: DateOption = None,
) -> None:
    """The court's decision on the lawsuit."""
    ref = _record(reference, "record_court_decision", "decided_on", date, result=text)
    say("annual.cli.recorded", reference=ref)
