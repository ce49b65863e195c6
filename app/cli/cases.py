"""`loket cases ...`: register desk/letter/phone/WhatsApp cases and inspect any case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from app.cli.case_text import case_text_lines
from app.cli.common import (
    actor,
    check_year,
    cli_language,
    console,
    print_json,
    run,
    say,
    settings_or_exit,
    viewed_case,
)
from app.cli.letters import write_letter
from app.cli.setup import unit_by_code
from bot.clock import ensure_aware
from bot.errors import DomainError
from bot.i18n import t
from bot.labels import channel_label
from store.enums import (
    CLOSED_STATUSES,
    CaseKind,
    Channel,
    ComplaintStatus,
    ObjectionStatus,
    RequestStatus,
)

if TYPE_CHECKING:
    from bot.services import Services
    from store.models import Case

# The core's case handling and the store are imported by the commands when they run, not by
# `loket --help` (see app/cli/common.py).

cases_app = typer.Typer(help="Register and inspect cases.")


def _received_at(value: str | None, svc: Services) -> dt.datetime:
    now = svc.clock.now()
    if not value:
        return now
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise DomainError("cli.bad_datetime", value=value) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=svc.settings.tz)
    if parsed > now:
        raise DomainError("cli.received_in_future", value=value)
    check_year(parsed.date(), value)
    return ensure_aware(parsed)


STATUSES = {
    CaseKind.INFORMATION_REQUEST: RequestStatus,
    CaseKind.COMPLAINT: ComplaintStatus,
    CaseKind.OBJECTION: ObjectionStatus,
}


def _status(kind: CaseKind | None, raw: str) -> str:
    """A status code that cases of `kind` (any kind when None) can have; DomainError naming
    the choices otherwise."""
    value = raw.strip().lower()
    kinds = [kind] if kind else list(STATUSES)
    known = sorted({s.value for k in kinds for s in STATUSES[k]})
    if value not in known:
        raise DomainError("cli.status_choice", value=raw, choices=", ".join(known))
    return value


@cases_app.command("new")
def cases_new(
    kind: Annotated[str, typer.Option(help="information_request or complaint")],
    channel: Annotated[Channel, typer.Option(help="How it arrived")],
    name: Annotated[str | None, typer.Option(help="Requester's full name")] = None,
    nik: Annotated[str | None, typer.Option(help="NIK (16 digits)")] = None,
    sk_number: Annotated[str | None, typer.Option(help="Legal entity's SK number")] = None,
    address: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    email: Annotated[str | None, typer.Option()] = None,
    occupation: Annotated[str | None, typer.Option()] = None,
    information: Annotated[str | None, typer.Option(help="Information requested")] = None,
    purpose: Annotated[str | None, typer.Option(help="Purpose of use")] = None,
    obtain: Annotated[
        str | None, typer.Option(help="melihat, membaca, ... salinan_softcopy")
    ] = None,
    delivery: Annotated[str | None, typer.Option(help="ambil_langsung, kurir, pos, ...")] = None,
    description: Annotated[str | None, typer.Option(help="Complaint text")] = None,
    classification: Annotated[str | None, typer.Option(help="Complaint classification")] = None,
    category: Annotated[str | None, typer.Option()] = None,
    location: Annotated[str | None, typer.Option()] = None,
    anonymous: Annotated[bool, typer.Option(help="Hide identity from the unit")] = False,
    confidential: Annotated[bool, typer.Option(help="Never publish")] = False,
    unit: Annotated[str | None, typer.Option(help="Unit code")] = None,
    received_at: Annotated[str | None, typer.Option(help="When it arrived (ISO; local)")] = None,
    receipt: Annotated[
        Path | None, typer.Option(help="Also write the proof of request (PDF) here, to print")
    ] = None,
) -> None:
    """Register a request or complaint received at the desk, by letter, phone or WhatsApp.

    The requester's proof (tanda bukti) goes to their Telegram or email if they have one;
    `--receipt` also writes it as PDF to hand over (UU KIP Pasal 22(4)-(5)).
    """
    from bot.cases.opening import missing_fields
    from bot.cases.walk_in import register_walk_in
    from bot.letters.outbox import RECEIPT_OF_CASE_KIND
    from bot.workflow.rules import load_rules

    if kind not in (CaseKind.INFORMATION_REQUEST, CaseKind.COMPLAINT):
        raise DomainError("cli.kind_choice", value=kind)
    # A request may be registered incomplete (UU KIP Pasal 22(4): the number is the proof of
    # asking), but a complaint without its text says nothing anyone could act on.
    if kind == CaseKind.COMPLAINT and not (description or "").strip():
        raise DomainError("cli.complaint_needs_description")

    async def work(svc: Services) -> tuple[Case, list[str]]:
        unit_id = (await unit_by_code(svc, unit)).id if unit else None
        details: dict[str, Any] = {
            "name": name,
            "nik": nik,
            "entity_sk_number": sk_number,
            "address": address,
            "phone": phone,
            "email": email,
            "occupation": occupation,
            "information_requested": information,
            "purpose": purpose,
            "obtain_method": obtain,
            "delivery_method": delivery,
            "description": description,
            "classification": classification,
            "category": category,
            "location": location,
            "anonymous": anonymous or None,
            "confidential": confidential or None,
        }
        now = svc.clock.now()
        async with svc.db.transaction() as session:
            rules = await load_rules(session, svc.settings)
            case = await register_walk_in(
                session,
                svc.blobs,
                kind=kind,
                channel=channel,
                details=details,
                received_at=_received_at(received_at, svc),
                rules=rules,
                actor=actor(),
                now=now,
                unit_id=unit_id,
            )
            return case, await missing_fields(session, case)

    case, missing = run(work)
    say("cli.case_registered", reference=case.reference, due=case.due_date)
    if missing:
        lang = cli_language()
        say("cli.case_missing", fields=", ".join(t(f"field.{m}", lang) for m in missing))
    if receipt is not None:
        write_letter(case.reference, RECEIPT_OF_CASE_KIND[case.kind], receipt)


@cases_app.command("list")
def cases_list(
    kind: Annotated[CaseKind | None, typer.Option(help="Only this kind")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status")] = None,
    overdue: Annotated[bool, typer.Option(help="Only open cases past their due date")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List cases, soonest due first."""
    from sqlmodel import col, select

    from bot.cases.view import case_headline
    from store.models import Case

    wanted = _status(kind, status) if status is not None else None

    async def work(svc: Services) -> list[Case]:
        # Cases without a due date last, on SQLite and PostgreSQL alike.
        stmt = select(Case).order_by(col(Case.due_date).is_(None), col(Case.due_date), col(Case.id))
        if kind:
            stmt = stmt.where(Case.kind == kind.value)
        if wanted:
            stmt = stmt.where(Case.status == wanted)
        if overdue:
            today = svc.clock.now().astimezone(svc.settings.tz).date()
            stmt = stmt.where(col(Case.due_date) < today).where(
                col(Case.status).not_in(list(CLOSED_STATUSES))
            )
        async with svc.db.session() as session:
            return list((await session.exec(stmt)).all())

    rows = run(work)
    if as_json:
        print_json(
            [
                {
                    "reference": c.reference,
                    "kind": c.kind,
                    "status": c.status,
                    "channel": c.channel,
                    "received_at": c.received_at,
                    "due_date": c.due_date,
                }
                for c in rows
            ]
        )
        return
    lang = cli_language()
    table = Table()
    for column in ("reference", "kind", "status", "channel", "due"):
        table.add_column(t(f"cli.col_{column}", lang), no_wrap=column in ("reference", "due"))
    for c in rows:
        line = case_headline(c, lang)
        # The due date as the other CLI dates, ISO: a column read by eye, narrow enough for 80.
        due = str(c.due_date or "-")
        table.add_row(line.reference, line.kind, line.status, channel_label(c.channel, lang), due)
    console.print(table)


@cases_app.command("show")
def cases_show(
    reference: Annotated[str, typer.Argument(help="Case reference, e.g. PPID/2026/000123")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    reveal: Annotated[bool, typer.Option(help="Show personal data (audited)")] = False,
) -> None:
    """Show one case with its events and messages; personal data masked unless --reveal."""
    from bot.cases.view import case_view
    from bot.intake.identity_requests import pending_identity_changes

    async def work(svc: Services) -> dict[str, Any]:
        async with svc.db.transaction() as session:
            case = await viewed_case(session, svc, reference, reveal=reveal, via="cli cases show")
            view = await case_view(session, case, reveal=reveal)
            pending = await pending_identity_changes(session, case)
            view["identity_requests"] = [r.shown(reveal=reveal) for r in pending]
            return view

    view = run(work)
    if as_json:
        print_json(view)
        return
    # Values are people's words: print them literally, never as Rich markup.
    settings = settings_or_exit()
    for line in case_text_lines(view, settings.tz, cli_language()):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
