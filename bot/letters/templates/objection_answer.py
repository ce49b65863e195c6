"""Tanggapan Atasan PPID atas keberatan: the written answer (UU KIP Pasal 36), signed by the
Atasan, with the right to take the dispute to the Komisi Informasi (Pasal 37)."""

from __future__ import annotations

from bot.i18n import t
from bot.letters.facts import LetterFacts
from bot.letters.kind import LetterKind
from bot.letters.layout import LetterBody, plain_date
from bot.letters.letterhead import Signatory, atasan_signatory
from bot.letters.templates.common import addressee
from bot.letters.templates.objection_receipt import objection_fields
from bot.workflow.deadlines import dispute_filing_deadline
from store.enums import CaseKind


def _signatory(facts: LetterFacts) -> Signatory:
    # The configured Atasan signs; without one, the officer who recorded the answer.
    configured = atasan_signatory(facts.settings)
    if configured.name.strip():
        return configured
    case = facts.case
    return Signatory(case.atasan_name or "", case.atasan_position or configured.position)


def build(facts: LetterFacts, language: str) -> LetterBody:
    """The objection, the Atasan's decision and reasons, and the last day to go further."""
    case = facts.case
    answered_on = facts.local_date(case.answered_at)
    assert answered_on is not None
    deadline = dispute_filing_deadline(answered_on, facts.rules)
    return LetterBody(
        signatory=_signatory(facts),
        to=addressee(facts, language),
        intro=t("letters.answer.intro", language),
        fields=[
            *objection_fields(facts, language),
            (
                t("letters.field.atasan_decision", language),
                t(f"letters.atasan.{case.atasan_decision}", language),
            ),
            (t("letters.field.atasan_reasons", language), case.atasan_reasons or ""),
        ],
        paragraphs=[
            t(
                "letters.answer.dispute_right",
                language,
                deadline=plain_date(deadline, language),
                days=facts.settings.dispute_filing_days,
            )
        ],
    )


KIND = LetterKind(
    name="objection_answer",
    abbreviation="TKA",
    title_key="letters.title.objection_answer",
    case_kind=CaseKind.OBJECTION,
    issued_on=lambda f: f.local_date(f.case.answered_at),
    build=build,
)
