"""`loket cases objection`: register an objection brought to the desk or sent by letter."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import actor, run, say
from app.cli.letters import write_letter
from store.enums import Channel

if TYPE_CHECKING:
    from bot.services import Services
    from store.models import Case


def cases_objection(
    request: Annotated[str, typer.Argument(help="The request's registration number")],
    ground: Annotated[str, typer.Option(help="UU KIP Pasal 35(1) letter, a-g")],
    reason: Annotated[str, typer.Option(help="What the objection says (kasus posisi)")],
    channel: Annotated[Channel, typer.Option(help="How it arrived")] = Channel.BUKU_TAMU,
    receipt: Annotated[
        Path | None, typer.Option(help="Also write the proof of objection (PDF) here, to print")
    ] = None,
) -> None:
    """Register an objection against a request (UU KIP Pasal 35) and issue its proof.

    The proof goes to the requester's Telegram or email if they have one; `--receipt` also
    writes it as PDF to hand over.
    """
    # The workflow and the store when the command runs, not for `loket --help`.
    from bot.cases.opening import get_case, open_objection
    from bot.workflow.rules import load_rules

    async def work(svc: Services) -> Case:
        now = svc.clock.now()
        async with svc.db.transaction() as session:
            rules = await load_rules(session, svc.settings)
            return await open_objection(
                session,
                await get_case(session, request),
                ground=ground,
                reason=reason,
                channel=channel,
                rules=rules,
                actor=actor(),
                now=now,
            )

    case = run(work)
    say("letters.cli.objection_registered", reference=case.reference, due=case.due_date)
    if receipt is not None:
        write_letter(case.reference, "objection_receipt", receipt)
