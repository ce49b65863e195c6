"""`loket mail ...`: check the mail servers, poll mailboxes, list ingested mail, work the review
queue, add mailboxes."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from app.cli.common import (
    USAGE_EXIT,
    actor,
    cli_language,
    configure_logging,
    console,
    err_console,
    fail,
    print_json,
    run,
    say,
)
from app.cli.setup import unit_by_code
from bot.errors import DomainError
from bot.i18n import t
from bot.privacy.masking import mask_email, redact
from channels.email.errors import MailboxError
from channels.email.labels import mail_disposition_label, mail_kind_label
from store.enums import CaseKind

if TYPE_CHECKING:
    from bot.services import Services
    from channels.email.poller import PollSummary
    from store.models import MailRecord

# The channel's intake (the store, the core's services, IMAP and SMTP) is imported by the
# commands when they run: `loket --help`, the other commands and each reader process (started
# from the `loket` script) do not load it.

mail_app = typer.Typer(help="Email intake: check, poll, list, review, add mailboxes.")


class Disposition(StrEnum):
    """What `mail list --disposition` accepts: the values of channels/email/records.py's
    `MailDisposition` (which loads the store), in its order; a test keeps them the same."""

    NEW_CASE = "new_case"
    APPENDED = "appended"
    REVIEW = "review"
    IGNORED = "ignored"


def _kind(value: str | None) -> CaseKind | None:
    if value is None:
        return None
    try:
        return CaseKind(value)
    except ValueError:
        raise DomainError("mail.mailbox_kind", kind=value) from None


def _problem(exc: MailboxError) -> str:
    return t(exc.key, cli_language(), mailbox=exc.mailbox, detail=exc.detail or "-")


@mail_app.command("check")
def mail_check() -> None:
    """Log in to every configured mailbox and to the SMTP server; say clearly what fails."""
    from channels.email.runner import watchers
    from channels.email.sender import EmailSender

    async def work(svc: Services) -> list[tuple[bool, str]]:
        language, results = cli_language(), []
        for watcher in await watchers(svc):
            try:
                imap = await watcher.connect()
            except MailboxError as exc:
                results.append((False, _problem(exc)))
                continue
            wait = (
                t("mail.cli.wait_idle", language)
                if imap.has_idle
                else t("mail.cli.wait_poll", language, seconds=svc.settings.imap_poll_seconds)
            )
            await imap.close()
            config = watcher.config
            text = t(
                "mail.cli.imap_ok", language, mailbox=config.name, folder=config.folder, wait=wait
            )
            results.append((True, text))
        if svc.settings.smtp_host:
            try:
                await EmailSender(svc.settings, svc.clock).check()
                s = svc.settings
                results.append((True, t("mail.cli.smtp_ok", language, host=s.smtp_host)))
            except MailboxError as exc:
                results.append((False, _problem(exc)))
        if results and not svc.settings.reply_secret.get_secret_value():
            results.append((False, t("mail.cli.no_reply_secret", language)))
        return results

    results = run(work)
    if not results:
        raise fail(t("mail.cli.not_configured", cli_language()))
    for ok, line in results:
        (console if ok else err_console).print(line, markup=False, highlight=False, soft_wrap=True)
    if not all(ok for ok, _ in results):
        raise typer.Exit(1)


def _summary_line(summary: PollSummary) -> str:
    from channels.email.records import MailDisposition

    counts = {d.value: summary.counts.get(d.value, 0) for d in MailDisposition}
    return t(
        "mail.cli.poll_summary",
        cli_language(),
        mailbox=summary.mailbox,
        fetched=summary.fetched,
        duplicates=summary.duplicates,
        recovered=summary.already_recorded,
        failed=summary.failed,
        **counts,
    )


@mail_app.command("poll")
def mail_poll(
    once: Annotated[
        bool, typer.Option("--once", help="Fetch all new mail once, print a summary, exit")
    ] = False,
) -> None:
    """Read the mailboxes: once (--once), or keep watching them until Ctrl+C."""
    from channels.email.runner import EmailRunner, watchers

    if not once:
        configure_logging()

        async def watch(svc: Services) -> None:
            runner = EmailRunner(svc)
            await runner.start()
            try:
                await asyncio.Event().wait()
            finally:
                await runner.stop()

        run(watch)
        return

    async def work(svc: Services) -> tuple[list[PollSummary], list[MailboxError]]:
        summaries, failures = [], []
        for watcher in await watchers(svc):
            try:
                summaries.append(await watcher.poll_now())
            except MailboxError as exc:
                failures.append(exc)
        return summaries, failures

    summaries, failures = run(work)
    if not summaries and not failures:
        raise fail(t("mail.cli.not_configured", cli_language()))
    for summary in summaries:
        console.print(_summary_line(summary), markup=False, highlight=False, soft_wrap=True)
    for exc in failures:
        err_console.print(_problem(exc), markup=False, highlight=False, soft_wrap=True)
    if failures or any(s.failed for s in summaries):
        raise typer.Exit(1)


def _row(record: MailRecord, reference: str | None) -> dict[str, Any]:
    return {
        "id": record.id,
        "mailbox": record.mailbox,
        "message_id": record.message_id_header or record.message_key,
        "classification": record.classification,
        "disposition": record.disposition,
        "reason": record.reason,
        "case": reference,
        "received_at": record.received_at,
        "sender": mask_email(record.sender),
        "subject": redact(record.subject or "")[:120],
    }


async def _records(
    svc: Services, disposition: Disposition | None, limit: int
) -> list[dict[str, Any]]:
    from sqlmodel import col, select

    from store.models import Case, MailRecord

    stmt = (
        select(MailRecord, Case.reference)
        .join(Case, col(Case.id) == col(MailRecord.case_id), isouter=True)
        .order_by(col(MailRecord.id))
        .limit(limit)
    )
    if disposition is not None:
        stmt = stmt.where(MailRecord.disposition == disposition.value)
    async with svc.db.session() as session:
        return [_row(record, reference) for record, reference in (await session.exec(stmt)).all()]


def _print_records(rows: list[dict[str, Any]]) -> None:
    language = cli_language()
    columns = ("id", "received_at", "classification", "disposition", "case", "message_id")
    table = Table(
        *(t(f"mail.cli.col_{c}", language) for c in columns),
        t("mailsafe.cli.col_reason", language),  # e.g. quarantined_timeout (issue #9)
    )
    for row in rows:
        table.add_row(
            str(row["id"]),
            f"{row['received_at']:%Y-%m-%d %H:%M}",
            mail_kind_label(row["classification"], language),
            mail_disposition_label(row["disposition"], language),
            row["case"] or "-",
            (row["message_id"] or "")[:48],
            row["reason"] or "-",
        )
    console.print(table)


@mail_app.command("list")
def mail_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    disposition: Annotated[Disposition | None, typer.Option(help="Only this disposition")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many", min=1)] = 500,
) -> None:
    """Every ingested email: Message-ID, classification, disposition and case."""
    rows = run(lambda svc: _records(svc, disposition, limit))
    if as_json:
        print_json(rows)
    else:
        _print_records(rows)


@mail_app.command("review")
def mail_review(
    attach: Annotated[int | None, typer.Option(help="Attach this item to a case (--to)")] = None,
    to: Annotated[str | None, typer.Option(help="Case reference for --attach")] = None,
    open_item: Annotated[
        int | None, typer.Option("--open", help="Open a new case from this item")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Kind of case for --open")] = None,
    dismiss_item: Annotated[
        int | None, typer.Option("--dismiss", help="Close this item without a case")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the queue as JSON")] = False,
) -> None:
    """List the review queue, or act on one item of it."""
    from bot.workflow.rules import load_rules
    from channels.email.review import attach_to_case, dismiss, open_from_review, review_queue

    if attach is not None and not to:
        raise fail(t("mail.cli.review_needs_case", cli_language()), USAGE_EXIT)

    async def act(svc: Services) -> tuple[str, dict[str, Any]]:
        now, who = svc.clock.now(), actor()
        async with svc.db.transaction() as session:
            if attach is not None:
                case = await attach_to_case(session, attach, to or "", actor=who, now=now)
                return "mail.cli.review_attached", {"id": attach, "reference": case.reference}
            if open_item is not None:
                rules = await load_rules(session, svc.settings)
                case = await open_from_review(
                    session, open_item, kind=_kind(kind), rules=rules, actor=who, now=now
                )
                return "mail.cli.review_opened", {"id": open_item, "reference": case.reference}
            assert dismiss_item is not None
            await dismiss(session, dismiss_item, actor=who, now=now)
            return "mail.cli.review_dismissed", {"id": dismiss_item}

    if attach is not None or open_item is not None or dismiss_item is not None:
        key, params = run(act)
        say(key, **params)
        return

    async def queue(svc: Services) -> list[dict[str, Any]]:
        async with svc.db.session() as session:
            return [_row(record, None) for record in await review_queue(session)]

    rows = run(queue)
    if as_json:
        print_json(rows)
    elif not rows:
        say("mail.cli.review_empty")
    else:
        _print_records(rows)


@mail_app.command("add-mailbox")
def mail_add_mailbox(
    name: Annotated[str, typer.Argument(help="Short name, e.g. pengaduan")],
    folder: Annotated[str, typer.Option(help="IMAP folder to read")] = "INBOX",
    kind: Annotated[str, typer.Option(help="information_request or complaint")] = (
        "information_request"
    ),
    unit: Annotated[str | None, typer.Option(help="Unit code new cases go to")] = None,
    host: Annotated[str | None, typer.Option(help="IMAP host (default IMAP_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="IMAP port (default IMAP_PORT)")] = None,
    security: Annotated[str | None, typer.Option(help="ssl, starttls or none")] = None,
    user: Annotated[str | None, typer.Option(help="IMAP user (default IMAP_USER)")] = None,
    password_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the password")
    ] = None,
) -> None:
    """Read one more mailbox; its mail opens cases of `kind` (for `unit`, if given)."""
    from channels.email.mailboxes import add_mailbox

    async def work(svc: Services) -> None:
        unit_id = (await unit_by_code(svc, unit)).id if unit else None
        async with svc.db.transaction() as session:
            await add_mailbox(
                session,
                name=name,
                folder=folder,
                kind=_kind(kind) or CaseKind.INFORMATION_REQUEST,
                unit_id=unit_id,
                host=host,
                port=port,
                security=security,
                username=user,
                password_env=password_env,
            )

    run(work)
    say("mail.cli.mailbox_added", name=name.strip().lower(), folder=folder, kind=kind)
