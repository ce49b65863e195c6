"""`loket letters ...`: print a case's letter at the desk, and verify a letter's code."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import actor, cli_language, fail, run, say
from bot.errors import NotFoundError
from bot.i18n import t

if TYPE_CHECKING:
    from bot.letters.render import IssuedLetter
    from bot.services import Services
    from store.models import Case

# The letters (their registry, facts and renderer), the store and the core are imported by the
# commands when they run, not by `loket --help` (see app/cli/common.py).

letters_app = typer.Typer(help="Letters: print a case's letter, verify a letter's code.")


@letters_app.command("print")
def letters_print(
    reference: Annotated[str, typer.Argument(help="Case reference, e.g. PPID/2026/000123")],
    # The catalogue's help lists the kinds (bot/letters/registry.py's LETTER_KINDS).
    kind: Annotated[str, typer.Argument(help="The letter's kind, e.g. notice")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="PDF file (default: its own name)")
    ] = None,
) -> None:
    """Write a case's letter as PDF, to print and hand over at the desk (audited)."""
    write_letter(reference, kind, output)


def write_letter(reference: str, kind: str, output: Path | None) -> None:
    """Render the letter `kind` of case `reference` to `output` (default: its own file name),
    audit who printed it, and say where it is and its verification code."""
    from bot.cases.audit import record_event
    from bot.cases.opening import get_case
    from bot.letters.render import issue_letter, letter_pdf

    async def work(svc: Services) -> tuple[IssuedLetter, bytes]:
        now = svc.clock.now()
        async with svc.db.transaction() as session:
            case = await get_case(session, reference)
            letter = await issue_letter(session, case, kind, svc.settings)
            # A letter shows the requester's name, address and contact: who printed it is logged.
            await record_event(
                session,
                case_id=case.id,
                actor=actor(),
                action="letter_printed",
                at=now,
                data={"kind": letter.kind, "number": letter.number},
            )
        return letter, await letter_pdf(letter)

    letter, pdf = run(work)
    target = output or Path(letter.filename)
    try:
        target.write_bytes(pdf)
    except OSError as exc:
        raise fail(t("letters.cli.cannot_write", cli_language(), path=str(target),
                     problem=exc.strerror or type(exc).__name__)) from None  # fmt: skip
    say("letters.cli.saved", number=letter.number, path=str(target), code=letter.code)


@letters_app.command("verify")
def letters_verify(
    code: Annotated[str, typer.Argument(help="The code printed at the foot of the letter")],
) -> None:
    """Say whether a letter's verification code is one this body issued, and for what letter."""
    from bot.cases.opening import get_case
    from bot.letters.codes import letter_mac, parse_code, same_mac
    from bot.letters.facts import gather_facts
    from bot.letters.registry import BY_ABBREVIATION
    from bot.letters.render import issue_letter

    lang = cli_language()
    parsed = parse_code(code)
    kind = BY_ABBREVIATION.get(parsed.abbreviation) if parsed else None
    if parsed is None or kind is None:
        raise fail(t("letters.cli.code_malformed", lang))

    async def work(svc: Services) -> IssuedLetter | None:
        async with svc.db.session() as session:
            try:
                case: Case = await get_case(session, parsed.reference)
            except NotFoundError:
                return None
            facts = await gather_facts(session, case, svc.settings)
            issued_on = kind.issued_on(facts) if case.kind == kind.case_kind else None
            if issued_on is None:
                return None
            expected = letter_mac(svc.settings, case.reference, kind.name, issued_on)
            if not same_mac(expected, parsed.mac):
                return None
            return await issue_letter(session, case, kind.name, svc.settings)

    letter = run(work)
    if letter is None:
        raise fail(t("letters.cli.not_genuine", lang, code=code.strip()))
    say(
        "letters.cli.genuine",
        title=t(f"letters.title.{letter.kind}", lang),
        number=letter.number,
        date=letter.issued_on.isoformat(),
    )
