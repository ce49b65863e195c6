"""`loket cases decide`: decide a request from the command line, with what its written notice
must carry (domain.md §2): form, delivery, fee, time to provide, redaction note, Pasal 17
ground and consequence test, the body that holds it, or when it will be documented."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import actor, run, say
from app.cli.letters import write_letter
from bot.errors import DomainError
from store.enums import Decision

if TYPE_CHECKING:
    from bot.services import Services


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError("fields.date_invalid") from None


def cases_decide(
    reference: Annotated[str, typer.Argument(help="The request's registration number")],
    decision: Annotated[Decision, typer.Option(help="The one decision (domain.md §2)")],
    time: Annotated[str | None, typer.Option(help="Time to provide (needed for a grant)")] = None,
    form: Annotated[
        str | None, typer.Option(help="softcopy or hardcopy (default: as asked)")
    ] = None,
    delivery: Annotated[
        str | None, typer.Option(help="ambil_langsung, kurir, pos, ... (default: as asked)")
    ] = None,
    fee: Annotated[int, typer.Option(help="Fee in rupiah (softcopy is free)")] = 0,
    redaction: Annotated[str | None, typer.Option(help="Granted in part: what and why")] = None,
    ground: Annotated[str | None, typer.Option(help="Refused: UU KIP Pasal 17 letter a-j")] = None,
    consequence: Annotated[str | None, typer.Option(help="Refused: consequence test")] = None,
    holder: Annotated[str | None, typer.Option(help="Not held: the body that holds it")] = None,
    available_on: Annotated[
        str | None, typer.Option(help="Not documented: available on (YYYY-MM-DD)")
    ] = None,
    note: Annotated[str | None, typer.Option(help="A note for the requester")] = None,
    notice: Annotated[
        Path | None, typer.Option(help="Also write the written notice (PDF) here, to print")
    ] = None,
) -> None:
    """Decide a request; its written notice goes to the requester's channel as a PDF."""
    # The workflow and the store when the command runs, not for `loket --help`.
    from bot.cases.opening import get_case
    from bot.workflow import requests
    from bot.workflow.rules import load_rules

    granted = decision in (Decision.GRANTED_FULL, Decision.GRANTED_PARTIAL)

    async def work(svc: Services) -> str:
        if granted and not (time or "").strip():
            raise DomainError("letters.terms_need_time")
        now = svc.clock.now()
        async with svc.db.transaction() as session:
            rules = await load_rules(session, svc.settings)
            case = await get_case(session, reference)
            await requests.decide(
                session,
                case,
                decision=decision,
                rules=rules,
                actor=actor(),
                now=now,
                note=note,
                redaction_note=redaction,
                refusal_ground=ground,
                consequence_test=consequence,
                holder_body=holder,
                available_on=_date(available_on),
                information_form=form,
                fee_amount=fee,
                time_to_provide=time,
                delivery_method=delivery,
            )
            return case.reference

    decided = run(work)
    say("letters.cli.decided", reference=decided)
    if notice is not None:
        write_letter(decided, "notice", notice)
