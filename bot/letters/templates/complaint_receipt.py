"""Tanda terima pengaduan: the complainant's proof, with the SP4N-LAPOR! timelines
(Perpres 76/2013, PermenPANRB 62/2018; domain.md §4)."""

from __future__ import annotations

from bot.i18n import t
from bot.letters.facts import LetterFacts
from bot.letters.kind import LetterKind
from bot.letters.layout import LetterBody, plain_date
from bot.letters.letterhead import ppid_signatory
from bot.letters.templates.common import addressee, contact_line
from store.enums import CaseKind


def build(facts: LetterFacts, language: str) -> LetterBody:
    """Number, date, complainant, what the complaint says, and when it is verified by."""
    case = facts.case
    requester = facts.requester
    verify_due = facts.rules.calendar.add_working_days(
        facts.rules.local_date(case.received_at), facts.settings.complaint_verify_days
    )
    classification = (
        t(f"letters.classification.{case.classification}", language) if case.classification else ""
    )
    yes_no = {True: t("letters.yes", language), False: t("letters.no", language)}
    return LetterBody(
        signatory=ppid_signatory(facts.settings),
        to=addressee(facts, language),
        intro=t("letters.complaint.intro", language, body=facts.settings.body_name),
        fields=[
            (t("letters.field.complaint_reference", language), case.reference),
            (
                t("letters.field.received", language),
                plain_date(facts.local_date(case.received_at), language),
            ),
            (t("letters.field.name", language), (requester.name if requester else None) or ""),
            (t("letters.field.contact", language), contact_line(facts)),
            (t("letters.field.classification", language), classification),
            (t("letters.field.category", language), case.category or ""),
            (t("letters.field.location", language), case.location or ""),
            (
                t("letters.field.incident_date", language),
                plain_date(case.incident_date, language),
            ),
            (t("letters.field.description", language), case.description or ""),
            (t("letters.field.anonymous", language), yes_no[bool(case.anonymous)]),
            (t("letters.field.confidential", language), yes_no[bool(case.confidential)]),
            (t("letters.field.verify_due", language), plain_date(verify_due, language)),
        ],
        paragraphs=[
            t(
                "letters.complaint.terms",
                language,
                verify=facts.settings.complaint_verify_days,
                followup=facts.settings.complaint_followup_days,
            )
        ],
    )


KIND = LetterKind(
    name="complaint_receipt",
    abbreviation="TBA",
    title_key="letters.title.complaint_receipt",
    case_kind=CaseKind.COMPLAINT,
    issued_on=lambda f: f.local_date(f.case.received_at),
    build=build,
)
