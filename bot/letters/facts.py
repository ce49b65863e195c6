"""Everything a letter shows, read from the store in one go, so templates never query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.opening import missing_fields
from bot.intake.requesters import contacts_of
from bot.settings import Settings
from bot.workflow.rules import Rules, load_rules
from store.enums import ContactKind
from store.models import Case, Requester, Unit


@dataclass(frozen=True)
class LetterFacts:
    """A case, its requester and contacts, its unit and (for an objection) the request."""

    case: Case
    rules: Rules
    requester: Requester | None
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    unit: Unit | None
    request: Case | None
    missing: tuple[str, ...] = ()

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        return self.rules.settings

    @property
    def language(self) -> str:
        """The language the citizen chose for this case."""
        return self.case.language

    def local_date(self, at: dt.datetime | None) -> dt.date | None:
        """The body's local date of `at` (None stays None)."""
        return self.rules.local_date(at) if at is not None else None


async def gather_facts(session: AsyncSession, case: Case, settings: Settings) -> LetterFacts:
    """The facts of `case` for its letters."""
    requester = await session.get(Requester, case.requester_id) if case.requester_id else None
    contacts = await contacts_of(session, case.requester_id) if case.requester_id else []
    unit = await session.get(Unit, case.unit_id) if case.unit_id else None
    request = await session.get(Case, case.parent_case_id) if case.parent_case_id else None
    return LetterFacts(
        case=case,
        rules=await load_rules(session, settings),
        requester=requester,
        phones=tuple(c.value for c in contacts if c.kind == ContactKind.PHONE),
        emails=tuple(c.value for c in contacts if c.kind == ContactKind.EMAIL),
        unit=unit,
        request=request,
        missing=tuple(await missing_fields(session, case)),
    )
