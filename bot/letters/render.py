"""Issuing a letter: its number, date and code from the case, its page, and its PDF.

Letters are derived from the case, not stored: the fields a letter shows do not change once
its step is taken (a decided request is final), so the same letter renders again on demand
for the outbox, the desk printer and verification.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import DomainError
from bot.letters.codes import letter_number, verification_code
from bot.letters.facts import LetterFacts, gather_facts
from bot.letters.kind import LetterKind
from bot.letters.layout import Heading, letter_html
from bot.letters.pdf import render_pdf
from bot.letters.registry import LETTER_KINDS
from bot.settings import Settings
from store.models import Case

PDF = "application/pdf"


@dataclass(frozen=True)
class IssuedLetter:
    """One letter of one case, ready to send or print."""

    kind: str
    reference: str
    number: str
    issued_on: dt.date
    code: str
    filename: str
    html: str


def letter_kind(name: str) -> LetterKind:
    """The kind called `name`, or DomainError naming the kinds there are."""
    kind = LETTER_KINDS.get((name or "").strip().lower())
    if kind is None:
        raise DomainError("letters.kind_unknown", kind=name, choices=", ".join(LETTER_KINDS))
    return kind


def issue(facts: LetterFacts, kind: LetterKind) -> IssuedLetter:
    """The letter `kind` of the case in `facts`; DomainError if the case has no such letter."""
    case = facts.case
    issued_on = kind.issued_on(facts) if case.kind == kind.case_kind else None
    if issued_on is None:
        raise DomainError("letters.not_issued", kind=kind.name, reference=case.reference)
    settings, language = facts.settings, facts.language
    number = letter_number(case.reference, kind.abbreviation)
    code = verification_code(settings, case.reference, kind.name, kind.abbreviation, issued_on)
    heading = Heading(kind.title_key, number, issued_on, code)
    html = letter_html(heading, kind.build(facts, language), settings, language)
    filename = f"{kind.abbreviation}-{case.reference.replace('/', '-')}.pdf"
    return IssuedLetter(kind.name, case.reference, number, issued_on, code, filename, html)


async def issue_letter(
    session: AsyncSession, case: Case, kind_name: str, settings: Settings
) -> IssuedLetter:
    """Read the case's facts and issue its letter `kind_name`."""
    return issue(await gather_facts(session, case, settings), letter_kind(kind_name))


async def letter_pdf(letter: IssuedLetter) -> bytes:
    """The letter as PDF, rendered in a worker thread."""
    return await render_pdf(letter.html)
