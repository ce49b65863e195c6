"""Mail written by machines: never a case, never an answer, but never thrown away unread.

A bounce marks the failed address as failing (so nothing more is sent to it) and tells the
PPID Utama and admins; an auto-reply, a delay warning or a read receipt about one of our
messages is logged on that case.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import SYSTEM, record_event
from bot.notify.delivery_failures import mark_contact_failing
from bot.notify.outbox import notify
from bot.notify.purposes import Purpose
from bot.notify.recipients import role_recipients
from bot.notify.send_windows import next_office_time
from bot.privacy.masking import mask_email, redact
from bot.workflow.rules import Rules
from channels.email.message import IncomingMail, MailKind
from channels.email.threads import KnownThreads, resolve_thread
from store.enums import Channel, Role
from store.models import Case, OutboxMessage

log = logging.getLogger(__name__)


async def _our_messages(session: AsyncSession, message_ids: list[str]) -> list[OutboxMessage]:
    if not message_ids:
        return []
    stmt = select(OutboxMessage).where(
        OutboxMessage.channel == Channel.EMAIL.value,
        col(OutboxMessage.external_id).in_(message_ids),
    )
    return list((await session.exec(stmt)).all())


async def _notify_officers(
    session: AsyncSession,
    mail: IncomingMail,
    addresses: list[str],
    case: Case | None,
    rules: Rules,
    now: dt.datetime,
) -> None:
    # Telegram only: an email notice that bounced would start a bounce -> notice loop.
    recipients = await role_recipients(session, (Role.PPID_UTAMA, Role.ADMIN))
    for officer in (r for r in recipients if r.channel == Channel.TELEGRAM.value):
        await notify(
            session,
            purpose=Purpose.MAIL_BOUNCE_NOTICE,
            recipient=officer,
            key="mail.bounce_notice",
            params={
                "addresses": ", ".join(mask_email(a) for a in addresses),
                "reference": case.reference if case else "-",
                "reason": redact(mail.report.reason)[:300] or "-",
            },
            dedup_key=f"mail-bounce:{mail.raw_sha256[:24]}:{officer.key}",
            case=case,
            now=now,
            not_before=next_office_time(now, rules),
        )


async def handle_automatic(
    session: AsyncSession,
    mail: IncomingMail,
    secret: str,
    rules: Rules,
    now: dt.datetime,
    known: KnownThreads | None = None,
) -> tuple[Case | None, str]:
    """Act on a non-human email; return the case it concerns (if any) and a short reason
    (`known`: its batch's answers for the Message-IDs it names)."""
    # A bounce names the failed mail in its report; an auto-reply in its reply headers.
    ids = [*mail.report.message_ids, *mail.thread_ids]
    match = await resolve_thread(
        session,
        sender=mail.sender,
        recipients=mail.recipients,
        subject=mail.subject,
        message_ids=ids,
        secret=secret,
        known=known,
    )
    case, reason = match.case, mail.kind.value
    if mail.kind == MailKind.BOUNCE:
        ours = await _our_messages(session, ids)
        if mail.report.permanent:
            addresses = list(mail.report.failed) or sorted({o.recipient for o in ours})
            marked = [
                a
                for a in addresses
                if await mark_contact_failing(
                    session, Channel.EMAIL.value, a, mail.report.reason, now
                )
            ]
            # Backscatter (a bounce of mail we never sent) must not page the officers.
            if marked or ours:
                await _notify_officers(session, mail, marked or addresses, case, rules, now)
            log.info("bounce: %d address(es) marked failing", len(marked))
        else:
            reason = "bounce_delayed"
    if case is not None:
        await record_event(
            session,
            case_id=case.id,
            actor=SYSTEM,
            action=f"mail_{reason}_received",
            at=now,
            data={"subject": redact(mail.subject)[:200]},
        )
    return case, reason
