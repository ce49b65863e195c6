"""Pemberitahuan tertulis: the decision on a request (UU KIP Pasal 22(7); domain.md §2).

It carries the registration number, requester, decision, form, fee, time to provide, the
redaction note of a partial grant, and for a refusal the Pasal 17 ground explained in plain
words with the consequence test; for "not held" the body that holds the information.
"""

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
    method_label,
    request_fields,
)
from bot.workflow.deadlines import objection_filing_deadline
from store.enums import CaseKind, Decision


def format_fee(amount: int) -> str:
    """Rupiah as written in Indonesia: `Rp50.000`."""
    return "Rp" + f"{amount:,}".replace(",", ".")


def _decision_fields(facts: LetterFacts, language: str) -> list[tuple[str, str]]:
    case = facts.case
    rows = [
        (t("letters.field.decision", language), t(f"letters.decision.{case.decision}", language))
    ]
    if case.decision in (Decision.GRANTED_FULL, Decision.GRANTED_PARTIAL):
        form = (
            t(f"letters.form.{case.information_form}", language)
            if case.information_form
            else method_label("obtain", case.obtain_method, language)
        )
        rows += [
            (t("letters.field.holder", language), facts.settings.body_name),
            (t("letters.field.form", language), form),
            (
                t("letters.field.delivery", language),
                method_label("delivery", case.delivery_method, language),
            ),
            (t("letters.field.fee", language), format_fee(case.fee_amount)),
            (t("letters.field.time", language), case.time_to_provide or ""),
        ]
    if case.decision == Decision.GRANTED_PARTIAL:
        rows.append((t("letters.field.redaction", language), case.redaction_note or ""))
    if case.decision == Decision.REFUSED:
        ground = case.refusal_ground or ""
        rows += [
            (t("letters.field.ground", language), t("letters.ground", language, letter=ground)),
            (t("letters.field.ground_plain", language), t(f"letters.pasal17.{ground}", language)),
            (t("letters.field.consequence", language), case.consequence_test or ""),
        ]
    if case.decision == Decision.NOT_HELD:
        holder = case.holder_body or t("letters.holder_unknown", language)
        rows.append((t("letters.field.held_by", language), holder))
    if case.decision == Decision.NOT_DOCUMENTED:
        rows.append(
            (t("letters.field.available_on", language), plain_date(case.available_on, language))
        )
    if case.decision_note:
        rows.append((t("letters.field.note", language), case.decision_note))
    return rows


def build(facts: LetterFacts, language: str) -> LetterBody:
    """The decision and everything it entails, then the right to object and its last day."""
    case = facts.case
    decided_on = facts.local_date(case.decided_at) or facts.local_date(case.updated_at)
    assert decided_on is not None
    deadline = objection_filing_deadline(decided_on, facts.rules)
    paragraphs = []
    if case.decision == Decision.REFUSED:
        paragraphs.append(t("letters.notice.refused", language))
    if case.information_form == "softcopy":
        paragraphs.append(t("letters.notice.softcopy_free", language))
    paragraphs.append(
        t(
            "letters.notice.objection_right",
            language,
            deadline=plain_date(deadline, language),
            days=facts.settings.objection_filing_days,
            reference=case.reference,
        )
    )
    return LetterBody(
        signatory=ppid_signatory(facts.settings),
        to=addressee(facts, language),
        intro=t("letters.notice.intro", language, body=facts.settings.body_name),
        fields=[
            *request_fields(facts, language),
            *identity_fields(facts, language),
            *information_fields(case.information_requested, case.purpose, language),
            *_decision_fields(facts, language),
        ],
        paragraphs=paragraphs,
    )


KIND = LetterKind(
    name="notice",
    abbreviation="PT",
    title_key="letters.title.notice",
    case_kind=CaseKind.INFORMATION_REQUEST,
    issued_on=lambda f: f.local_date(f.case.decided_at) if f.case.decision else None,
    build=build,
)
