"""`loket report ...`: the annual report, the complaint recap, the registers and the IKM."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import (
    actor,
    cli_language,
    fail,
    parse_date,
    report_year,
    run,
    say,
    writable_file,
    write_file,
)
from bot.errors import DomainError
from bot.i18n import t

if TYPE_CHECKING:
    from bot.reports.document import Document
    from bot.services import Services

# Each command imports the reports it makes and their renderers (openpyxl, WeasyPrint) when it
# runs: the other commands, and `loket --help`, do not load them.

report_app = typer.Typer(help="Reports from the store.", no_args_is_help=True)


class Format(StrEnum):
    """Output formats of a report."""

    TEXT = "text"
    CSV = "csv"
    JSON = "json"
    XLSX = "xlsx"
    HTML = "html"
    PDF = "pdf"


class RegisterFormat(StrEnum):
    """Output formats of the registers."""

    XLSX = "xlsx"
    CSV = "csv"


YearOption = Annotated[int, typer.Option("--year", help="Calendar year (local time)")]
OutOption = Annotated[Path | None, typer.Option("--out", help="Write to this file")]
FormatOption = Annotated[Format, typer.Option("--format", help="Output format")]


def emit(document: Document, fmt: str, out: Path | None, default_name: str) -> None:
    """Write the rendered report to `out`, or print it; binary formats always go to a file."""
    from bot.reports.render import BINARY_FORMATS, render

    data = render(document, fmt)
    if out is None and fmt in BINARY_FORMATS:
        out = writable_file(Path(f"{default_name}.{fmt}"))
    if out is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    write_file(out, data)
    say("report.written", path=str(out))


@report_app.command("annual")
def report_annual(
    year: YearOption,
    fmt: FormatOption = Format.TEXT,
    out: OutOption = None,
    edit: Annotated[
        str | None,
        typer.Option(
            "--edit",
            help="Write one text section of the year's report (with --from-file); "
            "'--edit list' shows the sections",
        ),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from-file", help="Text file (UTF-8) with the section's text, for --edit"),
    ] = None,
) -> None:
    """The annual public-information service report (UU KIP Pasal 12, Perki 1/2021)."""
    if edit is not None:
        edit_section(year, edit, from_file)
        return
    out = writable_file(out)
    from bot.reports.annual import annual_document, annual_figures
    from bot.reports.annual_layout import print_parts
    from bot.reports.narratives import narratives
    from bot.workflow.rules import load_rules

    async def work(svc: Services) -> Document:
        async with svc.db.session() as session:
            rules = await load_rules(session, svc.settings)
            report_year(year, rules.local_date(svc.clock.now()))
            figures = await annual_figures(session, rules, year)
            texts = await narratives(session, year)
        lang = svc.settings.language
        front = print_parts(svc.settings, lang, rules.local_date(svc.clock.now()))
        return annual_document(figures, lang, svc.settings.body_name, texts=texts, front=front)

    emit(run(work), fmt.value, out, f"laporan-tahunan-{year}")


def edit_section(year: int, section: str, source: Path | None) -> None:
    """Store one written section of the annual report, or list the sections and their state."""
    from bot.reports.narratives import SECTIONS, check_section, narratives, save_narrative

    text: str | None = None
    if source is not None and section.strip().lower() != "list":
        try:
            text = source.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            raise fail(t("annual.edit.unreadable", cli_language(), path=str(source)), 2) from None

    async def work(svc: Services) -> None:
        async with svc.db.session() as session:
            texts = await narratives(session, year)
        lang = svc.settings.language
        if text is None:
            if section.strip().lower() != "list":
                check_section(section)
            say("annual.edit.intro", year=year)
            for key in SECTIONS:
                state = t("annual.edit.filled" if texts[key] else "annual.edit.blank", lang)
                typer.echo(f"  {key:<20} {t(f'annual.h.{key}', lang)}  [{state}]")
            say("annual.edit.how", year=year)
            return
        key = check_section(section)
        async with svc.db.transaction() as session:
            await save_narrative(session, year, key, text, actor=actor(), now=svc.clock.now())
        say("annual.edit.saved", section=key, year=year, chars=len(text.strip()))

    run(work)


@report_app.command("complaints")
def report_complaints(
    start: Annotated[str, typer.Option("--from", help="First day received, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="Last day received, YYYY-MM-DD")],
    fmt: FormatOption = Format.TEXT,
    out: OutOption = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Statuses as on this day, YYYY-MM-DD (default: the last day, or today if earlier)",
        ),
    ] = None,
) -> None:
    """The complaint recap per unit (SP4N-LAPOR! columns) and the admins' timeliness."""
    out = writable_file(out)
    from bot.reports.complaints import complaint_figures, complaints_document
    from bot.workflow.rules import load_rules

    async def work(svc: Services) -> Document:
        first, last = parse_date(start), parse_date(end)
        if last < first:
            raise DomainError("report.bad_period", start=start, end=end)
        async with svc.db.session() as session:
            rules = await load_rules(session, svc.settings)
            today = rules.local_date(svc.clock.now())
            # "Status per": the end of the period, or today while the period is still running.
            per = parse_date(as_of) if as_of is not None else min(last, today)
            if per > today:
                raise DomainError("annual.recap.as_of_future", date=per.isoformat())
            figures = await complaint_figures(session, rules, first, last, per)
        return complaints_document(figures, svc.settings.language, svc.settings.body_name)

    emit(run(work), fmt.value, out, f"rekap-pengaduan-{start}-{end}")


@report_app.command("register")
def report_register(
    year: YearOption,
    fmt: Annotated[
        RegisterFormat, typer.Option("--format", help="Output format")
    ] = RegisterFormat.XLSX,
    out: OutOption = None,
    reveal: Annotated[
        bool, typer.Option(help="Show personal data (recorded in the audit log per case)")
    ] = False,
) -> None:
    """The request register (buku register) and the objection register of a year."""
    from bot.reports.register import register_document
    from bot.reports.render import BINARY_FORMATS
    from bot.workflow.rules import load_rules

    # Checked before the work: a reveal is audited per case, so it must not be for nothing.
    if out is None and fmt.value in BINARY_FORMATS:
        out = Path(f"register-{year}.{fmt.value}")
    out = writable_file(out)

    async def work(svc: Services) -> Document:
        async with svc.db.transaction() as session:
            rules = await load_rules(session, svc.settings)
            report_year(year, rules.local_date(svc.clock.now()))
            return await register_document(
                session, rules, year, reveal=reveal, actor=actor(), now=svc.clock.now()
            )

    emit(run(work), fmt.value, out, f"register-{year}")


@report_app.command("survey")
def report_survey(
    year: YearOption,
    fmt: FormatOption = Format.TEXT,
    out: OutOption = None,
) -> None:
    """The satisfaction index (IKM, PermenPANRB 14/2017) per element and overall, with grade."""
    out = writable_file(out)
    from bot.reports.survey import survey_document
    from bot.workflow.rules import load_rules

    async def work(svc: Services) -> Document:
        async with svc.db.session() as session:
            rules = await load_rules(session, svc.settings)
            report_year(year, rules.local_date(svc.clock.now()))
            return await survey_document(session, rules, year)

    emit(run(work), fmt.value, out, f"ikm-{year}")
