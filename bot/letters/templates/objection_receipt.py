"""Tanda bukti penerimaan keberatan: the proof an objection was filed (UU KIP Pasal 35-36)."""

from __future__ import annotations

from bot.i18n import t
from bot.letters.facts import LetterFacts
from bot.letters.kind import LetterKind
from bot.letters.layout import LetterBody, plain_date
from bot.letters.letterhead import ppid_signatory
from bot.letters.templates.common import addressee, identity_fields, information_fields
from store.enums import CaseKind


def objection_fields(facts: LetterFacts, language: str) -> list[tuple[str, str]]:
    """Objection number and date, the request it concerns, the information, ground and reason."""
    case = facts.case
    ground = case.objection_ground or ""
    return [
        (t("letters.field.objection_reference", language), case.reference),
        (
            t("letters.field.objection_received", language),
            plain_date(facts.local_date(case.received_at), language),
        ),
        (
            t("letters.field.request_reference", language),
            facts.request.reference if facts.request else "",
        ),
        *identity_fields(facts, language),
        *information_fields(case.information_requested, case.purpose, language),
        (
            t("letters.field.objection_ground", language),
            t(f"letters.pasal35.{ground}", language) if ground else "",
        ),
        (t("letters.field.objection_reason", language), case.objection_reason or ""),
    ]


def build(facts: LetterFacts, language: str) -> LetterBody:
    """The objection as registered and the day the Atasan PPID must answer by."""
    case = facts.case
    answer_due = facts.rules.calendar.add_working_days(
        facts.rules.local_date(case.received_at), facts.settings.objection_answer_days
    )
    return LetterBody(
        signatory=ppid_signatory(facts.settings),
        to=addressee(facts, language),
        intro=t("letters.objection_receipt.intro", language, body=facts.settings.body_name),
        fields=[
            *objection_fields(facts, language),
            (t("letters.field.answer_due", language), plain_date(answer_due, language)),
        ],
        paragraphs=[
            t(
                "letters.objection_receipt.terms",
                language,
                days=facts.settings.objection_answer_days,
            )
        ],
    )


KIND = LetterKind(
    name="objection_receipt",
    abbreviation="TBK",
    title_key="letters.title.objection_receipt",
    case_kind=CaseKind.OBJECTION,
    issued_on=lambda f: f.local_date(f.case.received_at),
    build=build,
)
