"""Lines several letters share: the addressee, the requester's identity and the request."""

from __future__ import annotations

from bot.i18n import t
from bot.letters.facts import LetterFacts
from bot.letters.layout import plain_date


def addressee(facts: LetterFacts, language: str) -> list[str]:
    """`Kepada Yth.` and the requester's name and address."""
    requester = facts.requester
    name = (requester.name if requester else None) or "-"
    address = (requester.address if requester else None) or ""
    return [t("letters.to", language), name, address]


def contact_line(facts: LetterFacts) -> str:
    """The requester's phone numbers and email addresses, comma separated."""
    return ", ".join([*facts.phones, *facts.emails])


def identity_fields(facts: LetterFacts, language: str) -> list[tuple[str, str]]:
    """Name, address, occupation and contact (Perki 1/2021 forms), in the case's language."""
    requester = facts.requester
    return [
        (t("letters.field.name", language), (requester.name if requester else None) or ""),
        (t("letters.field.address", language), (requester.address if requester else None) or ""),
        (
            t("letters.field.occupation", language),
            (requester.occupation if requester else None) or "",
        ),
        (t("letters.field.contact", language), contact_line(facts)),
    ]


def request_fields(facts: LetterFacts, language: str) -> list[tuple[str, str]]:
    """Registration number, date received, the information and its purpose."""
    case = facts.case
    return [
        (t("letters.field.reference", language), case.reference),
        (
            t("letters.field.received", language),
            plain_date(facts.local_date(case.received_at), language),
        ),
    ]


def information_fields(case_information: str | None, purpose: str | None, language: str):
    """What was asked for and why (domain.md §2 items 7 and 8)."""
    return [
        (t("letters.field.information", language), case_information or ""),
        (t("letters.field.purpose", language), purpose or ""),
    ]


def method_label(prefix: str, value: str | None, language: str) -> str:
    """The label of an obtain or delivery method (`letters.obtain.salinan_softcopy`)."""
    return t(f"letters.{prefix}.{value}", language) if value else "-"
