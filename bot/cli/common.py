"""What every CLI command shares: loading settings, running async work, clear errors."""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.app import Services, build_services
from bot.audit import cli_actor
from bot.errors import LoketError
from bot.i18n import t
from bot.privacy import install_log_redaction
from bot.settings import Settings, SettingsError, load_settings

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)


def settings_or_exit() -> Settings:
    """Validated settings, or one clear line naming the bad key and exit status 2."""
    try:
        return load_settings()
    except SettingsError as exc:
        err_console.print(t("settings.invalid", None, problem=str(exc)), highlight=False)
        raise typer.Exit(2) from None


def configure_logging(level: int = logging.INFO) -> None:
    """Log to stderr with personal data masked in every line."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction()


def actor() -> str:
    """Who is at the keyboard, for the audit log."""
    try:
        return cli_actor(getpass.getuser())
    except (KeyError, OSError):
        return cli_actor("unknown")


@asynccontextmanager
async def services() -> AsyncIterator[Services]:
    """Services built from the settings, closed afterwards."""
    svc = build_services(settings_or_exit())
    try:
        yield svc
    finally:
        await svc.close()


def run(work: Callable[[Services], Awaitable[T]]) -> T:
    """Run `work(services)`; Loket errors become one clear line and exit status 1."""
    settings = settings_or_exit()

    async def main() -> T:
        svc = build_services(settings)
        try:
            return await work(svc)
        finally:
            await svc.close()

    try:
        return asyncio.run(main())
    except LoketError as exc:
        err_console.print(exc.message(settings.language), highlight=False)
        raise typer.Exit(1) from None
    except (OperationalError, ProgrammingError) as exc:
        if "no such table" in str(exc) or "does not exist" in str(exc):
            err_console.print(t("db.not_initialised", settings.language), highlight=False)
            raise typer.Exit(1) from None
        raise


def print_json(data: Any) -> None:
    """Print `data` as indented JSON on stdout (dates as ISO strings)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
