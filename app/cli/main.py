"""The `loket` command: one Typer app with a sub-app per area."""

from __future__ import annotations

import typer

from app.cli.backup import backup, restore
from app.cli.calendar import calendar_app
from app.cli.cases import cases_app
from app.cli.common import configure_logging
from app.cli.decisions import cases_decide
from app.cli.demo import demo
from app.cli.disputes import dispute_app
from app.cli.example import example_app
from app.cli.identity import cases_identity
from app.cli.letters import letters_app
from app.cli.localised import LoketGroup
from app.cli.mail import mail_app
from app.cli.objections import cases_objection
from app.cli.officers import officers_app
from app.cli.outbox import outbox_app
from app.cli.report import report_app
from app.cli.scheduler import run_service, scheduler_app
from app.cli.setup import init, units_app
from app.cli.telegram import telegram_app
from app.cli.whatsapp import whatsapp_app

app = typer.Typer(
    cls=LoketGroup,
    help="Loket: intake of information requests and complaints for Indonesian public bodies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("init", help="Create or update the database schema (safe to run again).")(init)
app.add_typer(units_app, name="units", help="Units (perangkat daerah) that cases go to.")
app.add_typer(officers_app, name="officers", help="Officers, their roles and units.")
app.add_typer(cases_app, name="cases", help="Register and inspect cases.")
cases_app.command("decide")(cases_decide)
cases_app.command("objection")(cases_objection)
cases_app.command("identity")(cases_identity)
app.add_typer(dispute_app, name="dispute", help="Disputes at the Komisi Informasi and in court.")
app.add_typer(calendar_app, name="calendar", help="Working-day calendar and closures.")
app.command("run", help="Run channels, outbox dispatcher and scheduler until stopped.")(run_service)
app.add_typer(outbox_app, name="outbox", help="Outbound messages: list, retry, flush.")
app.add_typer(scheduler_app, name="scheduler", help="Reminders and updates: tick, preview.")
app.add_typer(report_app, name="report", help="Reports: annual, complaints, register, survey.")
app.add_typer(example_app, name="example", help="Load example data built from the seeds.")
app.command("demo", help="Play a scripted demonstration offline, then print the reports.")(demo)
app.add_typer(mail_app, name="mail", help="Email intake: check, poll, list, review.")
app.add_typer(telegram_app, name="telegram", help="Telegram channel: check the bot token.")
app.add_typer(whatsapp_app, name="whatsapp", help="WhatsApp channel: check token and webhook URL.")
app.add_typer(letters_app, name="letters", help="Letters: print at the desk, verify a code.")
app.command("backup", help="Back up the database and the attachments into one file.")(backup)
app.command("restore", help="Restore a backup into an empty database.")(restore)


@app.callback()
def _logging() -> None:
    """Every command logs through one masked stderr handler at LOG_LEVEL."""
    configure_logging()


def main() -> None:
    """Entry point of the `loket` console script."""
    app()
