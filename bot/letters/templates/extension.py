"""Pemberitahuan perpanjangan jangka waktu: the one extension (UU KIP Pasal 22(8))."""

from __future__ import annotations

from bot.i18n import t
from bot.letters.facts import LetterFacts
from bot.letters.kind import LetterKind
from bot.letters.layout import LetterBody, plain_date
from bot.letters.letterhead import ppid_signatory
from bot.letters.templates.common import (
    addressee,
    identity_fields,
    information_fields,
    request_fields,
)
from bot.workflow.deadlines import request_base_due
from store.enums import CaseKind


def build(facts: LetterFacts, language: str) -> LetterBody:
    """The original deadline, the days added, the new deadline and the written reason."""
    case = facts.case
    base_due = request_base_due(case, facts.rules)
    days = case.extension_days or 0
    new_due = facts.rules.calendar.add_working_days(base_due, days)
    return LetterBody(
        signatory=ppid_signatory(facts.settings),
        to=addressee(facts, language),
        intro=t("letters.extension.intro", language, body=facts.settings.body_name),
        fields=[
            *request_fields(facts, language),
            *identity_fields(facts, language),
            *information_fields(case.information_requested, case.purpose, language),
            (t("letters.field.old_due", language), plain_date(base_due, language)),
            (t("letters.field.extension", language), t("letters.days", language, days=days)),
            (t("letters.field.new_due", language), plain_date(new_due, language)),
            (t("letters.field.extension_reason", language), case.extension_reason or ""),
        ],
        paragraphs=[
            t(
                "letters.extension.terms",
                language,
                maximum=facts.settings.request_extension_days,
            )
        ],
    )


KIND = LetterKind(
    name="extension",
    abbreviation="PJW",
    title_key="letters.title.extension",
    case_kind=CaseKind.INFORMATION_REQUEST,
    issued_on=lambda f: f.local_date(f.case.extended_at),
    build=build,
)
