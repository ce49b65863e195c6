"""Tanda bukti permohonan informasi publik: the requester's proof (UU KIP Pasal 22(4)-(5))."""

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
from bot.workflow.deadlines import request_base_due
from store.enums import CaseKind


def build(facts: LetterFacts, language: str) -> LetterBody:
    """Number, date, requester, the request and the date the written notice is due."""
    case = facts.case
    due = request_base_due(case, facts.rules)
    fields = [
        *request_fields(facts, language),
        *identity_fields(facts, language),
        *information_fields(case.information_requested, case.purpose, language),
        (t("letters.field.obtain", language), method_label("obtain", case.obtain_method, language)),
        (
            t("letters.field.delivery", language),
            method_label("delivery", case.delivery_method, language),
        ),
        (t("letters.field.notice_due", language), plain_date(due, language)),
    ]
    paragraphs = [
        t(
            "letters.receipt.terms",
            language,
            days=facts.settings.request_response_days,
            extension=facts.settings.request_extension_days,
        )
    ]
    if facts.missing:
        missing = ", ".join(t(f"field.{name}", language) for name in facts.missing)
        paragraphs.append(t("letters.receipt.missing", language, fields=missing))
    return LetterBody(
        signatory=ppid_signatory(facts.settings),
        to=addressee(facts, language),
        intro=t("letters.receipt.intro", language, body=facts.settings.body_name),
        fields=fields,
        paragraphs=paragraphs,
    )


KIND = LetterKind(
    name="request_receipt",
    abbreviation="TBP",
    title_key="letters.title.request_receipt",
    case_kind=CaseKind.INFORMATION_REQUEST,
    issued_on=lambda f: f.local_date(f.case.received_at),
    build=build,
)
