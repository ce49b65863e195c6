"""The request register (buku register, domain.md §2) and the objection register (§3).

Registers list cases one per row, so they are the one report that reads rows rather than
aggregates. Personal data (name, address, contact) is masked unless revealed; every reveal is
written to the audit log, one event per case shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case as when
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import record_event
from bot.i18n import t
from bot.privacy.masking import mask_email, mask_name, mask_phone, redact
from bot.reports.document import Document, Table
from bot.reports.sql import Period
from bot.workflow.rules import Rules
from store.enums import CaseKind, ContactKind, Decision
from store.models import Case, Contact, Requester

REVEAL_ACTION = "personal_data_revealed"
_SEE = ("melihat", "membaca", "mendengarkan", "mencatat")


def _contacts_subquery() -> Any:
    phone = func.max(when((Contact.kind == ContactKind.PHONE, Contact.value)))
    email = func.max(when((Contact.kind == ContactKind.EMAIL, Contact.value)))
    # One row per requester: one phone and one email (the greatest value if there are more).
    return (
        select(Contact.requester_id, phone.label("phone"), email.label("email"))
        .group_by(Contact.requester_id)
        .subquery()
    )


async def _rows(session: AsyncSession, kind: CaseKind, period: Period) -> list[Any]:
    contacts = _contacts_subquery()
    parent = select(Case.id, Case.reference).subquery()
    stmt = (
        select(Case, Requester, contacts.c.phone, contacts.c.email, parent.c.reference)
        .outerjoin(Requester, col(Requester.id) == col(Case.requester_id))
        .outerjoin(contacts, contacts.c.requester_id == col(Case.requester_id))
        .outerjoin(parent, parent.c.id == col(Case.parent_case_id))
        .where((Case.kind == kind) & period.contains(Case.received_at))
        .order_by(col(Case.received_at), col(Case.id))
    )
    return list((await session.exec(stmt)).all())


class _Personal:
    """Shows or masks a requester's personal data."""

    def __init__(self, reveal: bool) -> None:
        self.reveal = reveal

    def name(self, requester: Requester | None) -> str:
        name = requester.name if requester else None
        return (name or "") if self.reveal else mask_name(name)

    def address(self, requester: Requester | None) -> str:
        address = (requester.address if requester else None) or ""
        return address if self.reveal or not address else "***"

    def text(self, value: str | None) -> str:
        """What a requester wrote (the information asked for, a purpose, a response): NIKs,
        phone numbers and emails in it are masked unless revealing."""
        return (value or "") if self.reveal else redact(value or "")

    def contact(self, phone: str | None, email: str | None) -> str:
        if not self.reveal:
            phone, email = mask_phone(phone), mask_email(email)
        return ", ".join(v for v in (phone, email) if v)


def _local(at: dt.datetime | None, rules: Rules) -> str:
    return rules.local_date(at).isoformat() if at else ""


def _request_row(n: int, row: Any, rules: Rules, who: _Personal, lang: str) -> tuple[Any, ...]:
    case, requester, phone, email, _parent = row
    decision = case.decision
    if decision is None:
        status_info = ""
    elif decision in (Decision.NOT_HELD, Decision.NOT_DOCUMENTED):
        status_info = t(f"report.info_status.{decision}", lang)
    else:
        status_info = t("report.info_status.held", lang)
    kind = ""
    if case.obtain_method:
        kind = t("report.request_kind." + ("see" if case.obtain_method in _SEE else "copy"), lang)
    return (
        n,
        case.reference,
        _local(case.received_at, rules),
        who.name(requester),
        who.address(requester),
        who.contact(phone, email),
        (requester.occupation if requester else None) or "",
        who.text(case.information_requested),
        who.text(case.purpose),
        status_info,
        case.information_form or "",
        kind,
        t(f"report.decision.{decision}", lang) if decision else t("report.pending", lang),
        t("report.annual.letter", lang, letter=case.refusal_ground) if case.refusal_ground else "",
        _local(case.notice_sent_at, rules),
        case.fee_amount,
        t("report.paid" if case.fee_paid else "report.unpaid", lang) if case.fee_amount else "",
    )


def _objection_row(n: int, row: Any, rules: Rules, who: _Personal, lang: str) -> tuple[Any, ...]:
    case, requester, _phone, _email, parent_reference = row
    atasan = ", ".join(v for v in (case.atasan_name, case.atasan_position) if v)
    return (
        n,
        case.reference,
        _local(case.received_at, rules),
        who.name(requester),
        parent_reference or "",
        who.text(case.information_requested),
        who.text(case.purpose),
        t(f"report.pasal35.{case.objection_ground}", lang) if case.objection_ground else "",
        t(f"report.atasan.{case.atasan_decision}", lang) if case.atasan_decision else "",
        _local(case.answered_at, rules),
        atasan,
        who.text(case.requester_response),
    )


async def register_document(
    session: AsyncSession,
    rules: Rules,
    year: int,
    *,
    reveal: bool,
    actor: str,
    now: dt.datetime,
) -> Document:
    """Both registers for `year`; with `reveal`, one audit event per case whose data is shown.

    The caller must commit the session for the reveal events to be kept.
    """
    lang, body = rules.settings.language, rules.settings.body_name
    period = Period.year(year, rules.settings.tz)
    who = _Personal(reveal)
    requests = await _rows(session, CaseKind.INFORMATION_REQUEST, period)
    objections = await _rows(session, CaseKind.OBJECTION, period)
    if reveal:
        for row in (*requests, *objections):
            await record_event(
                session,
                case_id=row[0].id,
                actor=actor,
                action=REVEAL_ACTION,
                at=now,
                data={"via": "report register", "year": year},
            )

    def headers(prefix: str, count: int) -> tuple[str, ...]:
        return tuple(t(f"report.{prefix}.{i}", lang) for i in range(count))

    request_table = Table(
        t("report.sheet.request_register", lang),
        t("report.register.requests", lang, year=year),
        headers("register.col", 17),
        tuple(_request_row(i, r, rules, who, lang) for i, r in enumerate(requests, 1)),
    )
    objection_table = Table(
        t("report.sheet.objection_register", lang),
        t("report.register.objections", lang, year=year),
        headers("register.objection_col", 12),
        tuple(_objection_row(i, r, rules, who, lang) for i, r in enumerate(objections, 1)),
    )
    note = t("report.register.note_revealed" if reveal else "report.register.note_masked", lang)
    return Document(
        title=t("report.register.title", lang, year=year),
        subtitle=period.subtitle(body, lang),
        tables=(request_table, objection_table),
        notes=(note,),
        language=lang,
        data={
            "report": "register",
            "year": year,
            "revealed": reveal,
            "requests": [
                dict(zip(request_table.headers, r, strict=True)) for r in request_table.rows
            ],
            "objections": [
                dict(zip(objection_table.headers, r, strict=True)) for r in objection_table.rows
            ],
        },
    )
