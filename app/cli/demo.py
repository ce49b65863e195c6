"""`loket demo`: the whole system working, offline, in under a minute.

Starts the real service (`loket run`: channels, outbox dispatcher, scheduler) on a temporary
SQLite store with the built-in Telegram Bot API emulator and an SMTP sink on loopback, plays
the scripted story of `demo_scenario` while printing the conversation, then prints the annual
report and the complaint recap made from what just happened.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from typing import TYPE_CHECKING

from rich.panel import Panel
from rich.table import Table

from app.cli.common import console
from bot.i18n import t

if TYPE_CHECKING:
    from app.demo.world import DemoWorld
    from bot.reports.document import Cell, Document

# The demo's world (the service, the emulators, the scenario) and the reports are imported
# when the demo plays: the other commands, and `loket --help`, do not load them.

YEAR = 2026


def _nothing(value: Cell) -> bool:
    return value is None or value == 0


def print_document(document: Document) -> None:
    """A report on a terminal, compacted to fit: rows and number columns that are all zero are
    left out (the file formats keep them), then the notes."""
    from bot.reports.document import format_cell

    console.rule(f"[bold]{document.title}")
    console.print(document.subtitle, highlight=False)
    for table in document.tables:
        rows = [r for r in table.rows if not all(_nothing(v) for v in r if not isinstance(v, str))]
        keep = [
            i
            for i in range(len(table.headers))
            if any(isinstance(r[i], str) or not _nothing(r[i]) for r in rows)
        ]
        if not rows or all(isinstance(rows[0][i], str) for i in keep):
            continue
        view = Table(title=table.title, title_justify="left", show_footer=table.footer is not None)
        for i in keep:
            foot = format_cell(table.footer[i]) if table.footer else ""
            view.add_column(table.headers[i], footer=foot)
        for row in rows:
            view.add_row(*(format_cell(row[i]) for i in keep))
        console.print(view)
    console.print(t("report.demo.compact"), style="dim", highlight=False)
    for note in document.notes:
        console.print(f"• {note}", style="dim", highlight=False, soft_wrap=True)


async def reports(world: DemoWorld) -> tuple[Document, Document]:
    """The annual report and the complaint recap of the demo year, from the demo store."""
    from bot.reports.annual import annual_document, annual_figures
    from bot.reports.complaints import complaint_figures, complaints_document
    from bot.workflow.rules import load_rules

    services = world.services
    lang, body = services.settings.language, services.settings.body_name
    async with services.db.session() as session:
        rules = await load_rules(session, services.settings)
        annual = annual_document(await annual_figures(session, rules, YEAR), lang, body)
        today = rules.local_date(world.clock.now())
        recap = await complaint_figures(
            session, rules, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31), today
        )
    return annual, complaints_document(recap, lang, body)


async def play() -> tuple[Document, Document]:
    """Run the story from start to end and return both reports."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from app.demo.scenario import STEPS, Story
    from app.demo.world import open_world, start_service

    port = os.environ.get("HTTP_PORT")  # to curl a port of one's choosing; else a free one
    world = await open_world(
        desk_chat=-1001, http_port=int(port) if port and port.isdigit() else None
    )
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:

            def say(who: str, text: str) -> None:
                # soft_wrap: the terminal wraps long lines; no line breaks are inserted
                progress.console.print(f"[bold]{who}[/bold]: ", end="", highlight=False)
                progress.console.print(text, markup=False, highlight=False, soft_wrap=True)

            story = Story(world, say)
            task = progress.add_task("", total=len(STEPS))
            for number, (key, step) in enumerate(STEPS, 1):
                title = t(key, world.services.settings.language)
                progress.update(task, description=title)
                progress.console.rule(f"{number}. {title}", style="cyan")
                await step(story)
                if number == 1:
                    start_service(world)
                    progress.console.print(
                        t("report.demo.metrics", url=world.metrics_url), style="dim",
                        highlight=False, soft_wrap=True,
                    )  # fmt: skip
                progress.advance(task)
        return await reports(world)
    finally:
        await world.close()


def demo() -> None:
    """Play the scripted demonstration (offline, temporary store) and print both reports."""
    from app.logs import configure_logging

    # Quiet by default, so the story reads well; LOG_LEVEL=DEBUG shows everything (masked).
    configure_logging(os.environ.get("LOG_LEVEL") or "WARNING")
    console.print(Panel(t("report.demo.intro"), title="Loket demo"))
    annual, recap = asyncio.run(play())
    print_document(annual)
    print_document(recap)
    console.print(t("report.demo.done"), highlight=False)
