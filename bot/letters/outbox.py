"""Letters on their way to the citizen: which letter an action owes, and the proof of receipt
for a case registered at the desk. A producer of `bot.notify.case_events`.

A request, complaint or objection received at the desk, by letter or by phone gets its receipt
(the tanda bukti, UU KIP Pasal 22(4)-(5)) on the requester's own channel as a PDF, so their
first message from Loket is that proof. Self-filed cases (chat and mail) acknowledge a case
themselves, and the same PDF goes with that acknowledgement (`intake_receipt_letters`,
`intake_receipt_row`). A requester with no channel Loket can send on (a phone number only)
gets the receipt printed at the desk (`loket letters print REF KIND`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import format_date, t
from bot.notify.outbox import message_row, notify
from bot.notify.purposes import Purpose
from bot.notify.recipients import Recipient, requester_recipient
from bot.notify.send_windows import next_requester_time
from bot.workflow.rules import Rules
from store.enums import SELF_FILED_CHANNELS
from store.models import Case

# The receipt a newly registered case is owed, by case kind.
RECEIPT_OF_CASE_KIND = {
    "information_request": "request_receipt",
    "complaint": "complaint_receipt",
    "objection": "objection_receipt",
}
# The letter a requester update carries, by workflow action (bot.notify.requester_updates).
LETTER_OF_ACTION = {"decide": "notice", "extend": "extension", "answer": "objection_answer"}


def letter_subject(kind: str, case: Case) -> str:
    """The subject of the message a letter goes out with: its title and the case reference."""
    return t(
        "letters.subject",
        case.language,
        title=t(f"letters.title.{kind}", case.language),
        reference=case.reference,
    )


async def queue_receipt(
    session: AsyncSession, case: Case, action: str, rules: Rules, now: dt.datetime
) -> None:
    """Queue the receipt of a case just registered at the desk, to the requester's channel.

    Idempotent per case (one receipt each); not before the quiet hours end.
    """
    if action != "registered" or case.channel in SELF_FILED_CHANNELS:
        return
    kind = RECEIPT_OF_CASE_KIND[case.kind]
    recipient = await requester_recipient(session, case)
    if recipient is None:
        return
    await notify(
        session,
        purpose=Purpose.LETTER,
        recipient=recipient,
        key=f"letters.send.{kind}",
        params={
            "reference": case.reference,
            "due": format_date(case.due_date, case.language),
            "body": rules.settings.body_name,
        },
        subject=letter_subject(kind, case),
        case=case,
        letters=[kind],
        dedup_key=f"letter:{case.id}:{kind}",
        now=now,
        not_before=next_requester_time(now, rules),
    )


def intake_receipt_letters(case: Case) -> list[str]:
    """The letters (`payload["letters"]`) that go with the acknowledgement of a case the
    citizen filed themselves: its receipt. Also for a case still missing fields: under UU KIP
    Pasal 22 the registration number is the proof, and the receipt names what is missing."""
    return [RECEIPT_OF_CASE_KIND[case.kind]]


def intake_receipt_row(
    case: Case, *, channel: str, recipient: str, now: dt.datetime
) -> dict[str, Any]:
    """The outbox row of the receipt PDF of a case filed on a LETTERS_APART channel, to queue
    right after the text acknowledgement's row. Idempotent per case (its dedup key); due at
    once (the citizen is filing right now).

    A row of its own, not a letter on the acknowledgement's row: that channel's sender renders a
    row's letters before it sends anything, so a letter there would delay the number, and one
    short text would become a document caption. The acknowledgement is sent at once by the
    handler (the dispatcher's `dispatch_now` of its purpose); this row follows at the
    dispatcher's next round, created after it and so sent after it even when both wait.
    """
    kinds = intake_receipt_letters(case)
    return message_row(
        purpose=Purpose.LETTER,
        recipient=Recipient(channel, recipient, case.language, recipient),
        key="letters.intake_caption",
        params={
            "title": t(f"letters.title.{kinds[0]}", case.language),
            "reference": case.reference,
        },
        subject=letter_subject(kinds[0], case),
        case_id=case.id,
        case_reference=case.reference,
        letters=kinds,
        dedup_key=f"letter:{case.id}:{kinds[0]}",
        now=now,
    )
