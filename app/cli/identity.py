"""`loket cases identity REF`: the identity changes a requester asked for by email, and an
officer's confirmation or rejection of one (issue #9)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli.common import actor, cli_language, console, print_json, run, say, viewed_case
from app.cli.officers import find_officer
from bot.errors import DomainError
from bot.i18n import t

if TYPE_CHECKING:
    from bot.intake.identity_requests import IdentityRequest
    from bot.services import Services

# Intake and the store are imported by the command when it runs, not by `loket --help`.


def identity_lines(requests: list[dict[str, Any]], language: str) -> list[str]:
    """Shown requests (IdentityRequest.shown) as plain lines, one per request."""
    lines = []
    for r in requests:
        values = "; ".join(f"{t(f'mail.label.{k}', language)}: {v}" for k, v in r["fields"].items())
        lines.append(t("identity.cli.line", language, number=r["number"], values=values))
    return lines


async def _list(svc: Services, reference: str, reveal: bool) -> list[dict[str, Any]]:
    from bot.intake.identity_requests import pending_identity_changes

    async with svc.db.transaction() as session:
        case = await viewed_case(session, svc, reference, reveal=reveal, via="cli cases identity")
        return [r.shown(reveal=reveal) for r in await pending_identity_changes(session, case)]


async def _decide(
    svc: Services, reference: str, number: int, confirm: bool, officer_ident: str | None
) -> tuple[str, IdentityRequest]:
    from bot.cases.opening import get_case
    from bot.intake.identity_changes import decide_identity_change
    from bot.intake.identity_requests import IdentityRequest
    from bot.workflow.rules import load_rules

    if not (officer_ident or "").strip():
        raise DomainError("identity.officer_needed")
    now = svc.clock.now()
    async with svc.db.transaction() as session:
        officer = await find_officer(session, officer_ident or "")
        case = await get_case(session, reference)
        rules = await load_rules(session, svc.settings)
        outcome = await decide_identity_change(
            session, case, number, confirm=confirm, officer=officer, rules=rules, now=now,
            who=actor(),
        )  # fmt: skip
    if not isinstance(outcome, IdentityRequest):
        raise outcome  # the refusal is committed (audited) first
    return case.reference, outcome


def cases_identity(
    reference: Annotated[str, typer.Argument()],
    confirm: Annotated[int | None, typer.Option("--confirm")] = None,
    reject: Annotated[int | None, typer.Option("--reject")] = None,
    officer: Annotated[str | None, typer.Option("--officer")] = None,
    reveal: Annotated[bool, typer.Option("--reveal")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List a case's pending identity changes, or confirm or reject one."""

    async def work(svc: Services) -> Any:
        if confirm is not None and reject is not None:
            raise DomainError("identity.confirm_or_reject")
        if confirm is None and reject is None:
            return await _list(svc, reference, reveal)
        number = confirm if confirm is not None else reject
        assert number is not None
        return await _decide(svc, reference, number, confirm is not None, officer)

    result = run(work)
    if isinstance(result, tuple):
        ref, request = result
        key = "identity.cli.confirmed" if confirm is not None else "identity.cli.rejected"
        say(key, number=request.number, reference=ref)
        return
    if as_json:
        print_json(result)
        return
    if not result:
        say("identity.cli.none", reference=reference.strip().upper())
        return
    for line in identity_lines(result, cli_language()):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
