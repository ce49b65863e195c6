"""What every CLI command shares: loading settings, running async work, clear errors."""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import json
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

from bot.errors import DomainError, LoketError, NotFoundError
from bot.i18n import DEFAULT_LANGUAGE, t

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.settings import Settings
    from bot.services import Services
    from store.models import Case

# The settings, the database stack and the core's services are imported by the functions that
# need them: `import app.cli.main` (every `loket` command, `--help` too, and each process
# Python's spawn start method starts from the `loket` script) loads only the command tree.

T = TypeVar("T")
# Exit status of a command refused for its input (click's own status for usage errors).
USAGE_EXIT = 2
# Dates typed at the command line: the years the holiday calendar can be trusted for.
FIRST_YEAR, LAST_YEAR = 2000, 2099
# UU 14/2008 (KIP) created the public-information service: no report year before it.
REPORT_FIRST_YEAR = 2008
console = Console()
# Errors are one line each, however narrow the terminal: never wrapped.
err_console = Console(stderr=True, soft_wrap=True)

# SQLite and PostgreSQL wordings of "the schema is not there yet".
_MISSING_TABLE_RE = re.compile(r"no such table|relation \"[^\"]+\" does not exist")


def settings_or_exit() -> Settings:
    """Validated settings, or one clear line naming the bad key and exit status 2."""
    from app.settings import load_settings
    from bot.settings import SettingsError

    try:
        return load_settings()
    except SettingsError as exc:
        raise fail(t("settings.invalid", None, problem=str(exc)), 2) from None


def cli_language() -> str:
    """The officers' language from the settings (Indonesian when they cannot be read)."""
    from app.settings import load_settings
    from bot.settings import SettingsError

    try:
        return load_settings().language
    except SettingsError:
        return DEFAULT_LANGUAGE


def say(key: str, /, **params: Any) -> None:
    """Print one catalogue sentence in the officers' language, as plain text (no markup)."""
    console.print(t(key, cli_language(), **params), markup=False, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `message` as one line on stderr and return the Exit to raise."""
    err_console.print(message, markup=False, highlight=False)
    return typer.Exit(code)


def configure_logging() -> None:
    """Log to stderr at LOG_LEVEL with personal data and secrets masked in every line."""
    from app.logs import configure_logging as configure

    configure()


def actor() -> str:
    """Who is at the keyboard, for the audit log."""
    from bot.cases.audit import cli_actor

    try:
        return cli_actor(getpass.getuser())
    except (KeyError, OSError):
        return cli_actor("unknown")


async def viewed_case(
    session: AsyncSession, svc: Services, reference: str, *, reveal: bool, via: str
) -> Case:
    """The case `reference` (NotFoundError if none), its view by this CLI user audited first.

    domain.md §7: who saw a case is logged too, and a reveal of personal data apart.
    """
    from bot.cases.audit import record_view
    from bot.cases.opening import get_case

    case = await get_case(session, reference)
    await record_view(
        session, case_id=case.id, actor=actor(), reveal=reveal, via=via, at=svc.clock.now()
    )
    return case


def _missing_sqlite_folder(url: str) -> str | None:
    """The folder of a SQLite database file when that folder does not exist, else None."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    folder = Path(parsed.database).parent
    return None if folder.is_dir() else str(folder)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def run(work: Callable[[Services], Awaitable[T]]) -> T:
    """Run `work(services)`; every foreseeable failure becomes one clear line, never a traceback.

    Bad input (a DomainError or NotFoundError: the command line asked for something wrong)
    exits 2 with its catalogue sentence, other Loket errors exit 1; a database without schema
    says to run `loket init`; an unreachable database or a refused write names the problem in
    one line (the driver's first line only: never the SQL or its parameters, which may hold
    personal data).
    """
    from sqlalchemy.exc import DBAPIError

    from app.wiring import build_services
    from bot.settings import SettingsError

    settings = settings_or_exit()
    lang = settings.language
    folder = _missing_sqlite_folder(settings.database_url)
    if folder is not None:
        # Checked before connecting: a failed SQLite connect leaves a worker thread behind that
        # prints its own traceback (aiosqlite 0.22).
        raise fail(t("db.folder_missing", lang, folder=folder))

    async def main() -> T:
        svc = build_services(settings)
        try:
            return await work(svc)
        finally:
            await svc.close()

    try:
        return asyncio.run(main())
    except (DomainError, NotFoundError) as exc:
        raise fail(exc.message(lang), USAGE_EXIT) from None
    except SettingsError as exc:  # found at start-up, e.g. HTTP_PORT taken by another program
        raise fail(t("settings.invalid", lang, problem=str(exc)), USAGE_EXIT) from None
    except LoketError as exc:
        raise fail(exc.message(lang)) from None
    except DBAPIError as exc:
        problem = _first_line(exc.orig if exc.orig is not None else exc)
        if _MISSING_TABLE_RE.search(problem):
            raise fail(t("db.not_initialised", lang)) from None
        raise fail(t("db.error", lang, problem=problem)) from None
    except OSError as exc:
        raise fail(t("db.unreachable", lang, problem=_first_line(exc))) from None


def check_year(day: dt.date, value: str) -> dt.date:
    """`day` when its year is one Loket can count working days in (2000-2099), else DomainError."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise DomainError("cli.date_out_of_range", value=value, first=FIRST_YEAR, last=LAST_YEAR)
    return day


def parse_date(value: str) -> dt.date:
    """A date written YYYY-MM-DD in a year Loket can count in, or DomainError saying how."""
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError("cli.bad_date", value=value) from None
    return check_year(day, value)


def report_year(year: int, today: dt.date) -> int:
    """A report year: from UU KIP's (2008) to this one; DomainError otherwise (e.g. 20233)."""
    if year < REPORT_FIRST_YEAR:
        raise DomainError("cli.year_too_early", year=year, first=REPORT_FIRST_YEAR)
    if year > today.year:
        raise DomainError("cli.year_in_future", year=year, now=today.year)
    return year


def writable_file(out: Path | None) -> Path | None:
    """`out` when a file can be written there (None stays None); DomainError naming why not.

    Checked before any work, so a report is never computed (nor a reveal audited) for nothing.
    """
    if out is None:
        return None
    if out.is_dir():
        raise DomainError("cli.out_is_folder", path=str(out))
    folder = out.parent if str(out.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise DomainError("cli.out_parent_is_file", path=str(out), folder=str(folder))
    if not folder.is_dir():
        raise DomainError("cli.out_folder_missing", path=str(out), folder=str(folder))
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise DomainError("cli.out_not_writable", path=str(out))
    return out


def write_file(out: Path, data: bytes) -> None:
    """Write `data` to `out`; DomainError with the system's reason when that fails."""
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise DomainError("cli.out_write_failed", path=str(out), problem=exc.strerror) from None


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


def print_json(data: Any) -> None:
    """Print `data` as indented JSON on stdout (dates and times in ISO 8601)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default))
