"""Every kind of letter Loket issues, by name (the KIND argument of `loket letters print`)."""

from __future__ import annotations

from bot.letters.kind import LetterKind
from bot.letters.templates import (
    complaint_receipt,
    extension,
    notice,
    objection_answer,
    objection_receipt,
    request_receipt,
)

LETTER_KINDS: dict[str, LetterKind] = {
    k.name: k
    for k in (
        request_receipt.KIND,
        notice.KIND,
        extension.KIND,
        objection_receipt.KIND,
        objection_answer.KIND,
        complaint_receipt.KIND,
    )
}
BY_ABBREVIATION: dict[str, LetterKind] = {k.abbreviation: k for k in LETTER_KINDS.values()}
