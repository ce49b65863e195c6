"""Letters on their way to the citizen: which letter an action owes, and the proof of receipt
for a case registered at the desk. A producer of `bot.notifications`.

A request, complaint or objection received at the desk, by letter or by phone gets its receipt
(the tanda bukti, UU KIP Pasal 22(4)-(5)) on the requester's own channel as a PDF, so their
first message from Loket is that proof. Telegram and email intake acknowledge a case
themselves. A requester with no channel Loket can send on (a phone number only) gets the
receipt printed at the desk (`loket letters print REF KIND`).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import format_date, t
from bot.outbox import enqueue
from bot.recipients import automatic_payload, requester_recipient
from bot.send_windows import next_requester_time
from bot.workflow.rules import Rules
from store.enums import Channel
from store.models import Case

PURPOSE = "letter"
ELECTRONIC_INTAKE = frozenset({Channel.TELEGRAM.value, Channel.EMAIL.value})

# The receipt a newly registered case is owed, by case kind.
RECEIPT_OF_CASE_KIND = {
    "information_request": "request_receipt",
    "complaint": "complaint_receipt",
    "objection": "objection_receipt",
}
# The letter a requester update carries, by workflow action (bot.requester_updates).
LETTER_OF_ACTION = {"decide": "notice", "extend": "extension", "answer": "objection_answer"}


def letter_subject(kind: str, case: Case) -> str:
    """The subject of the message a letter goes out with: its title and the case reference."""
    return t("letters.subject", case.language, title=t(f"letters.title.{kind}", case.language),
             reference=case.reference)  # fmt: skip


async def queue_receipt(
    session: AsyncSession, case: Case, action: str, rules: Rules, now: dt.datetime
) -> None:
    """Queue the receipt of a case just registered at the desk, to the requester's channel.

    Idempotent per case (one receipt each); not before the quiet hours end.
    """
    if action != "registered" or case.channel in ELECTRONIC_INTAKE:
        return
    kind = RECEIPT_OF_CASE_KIND[case.kind]
    recipient = await requester_recipient(session, case)
    if recipient is None:
        return
    payload = {**automatic_payload(recipient.channel, case), "letters": [kind]}
    body = t(
        f"letters.send.{kind}",
        case.language,
        reference=case.reference,
        due=format_date(case.due_date, case.language),
        body=rules.settings.body_name,
    )
    await enqueue(
        session,
        dedup_key=f"letter:{case.id}:{kind}",
        channel=recipient.channel,
        recipient=recipient.address,
        purpose=PURPOSE,
        subject=letter_subject(kind, case),
        body=body,
        case_id=case.id,
        now=now,
        payload=payload,
        not_before=next_requester_time(now, rules),
    )
