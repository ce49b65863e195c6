"""The `loket` command tree in the officers' language: help texts and usage errors.

Every command, argument and option takes its help from the catalogue (`cli.help.<path>` and
`cli.help.<path>.<parameter>`), in the LANGUAGE setting read straight from the environment or
`.env`, so `loket --help` works on a fresh machine before anything is configured. A usage
error (unknown option, missing argument, bad value) and every `LoketError` that escapes a
command become one sentence on stderr with exit status 2: the command line was wrong and
nothing was changed.

Typer 0.29 vendors click (`typer._click`) and checks values with pydantic; the usage errors are
recognised by their class and, where they carry no attributes, by their English wording (the
pin in pyproject.toml keeps that wording stable). Anything unrecognised is still one line.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import typer
import typer.rich_utils
from dotenv import dotenv_values
from typer._click import core as click_core
from typer._click import exceptions as click_errors
from typer.core import TyperGroup, TyperOption

from app.cli.common import USAGE_EXIT, err_console
from bot.errors import DomainError, LoketError, NotFoundError
from bot.i18n import DEFAULT_LANGUAGE, catalogue, normalise_language, t

# Typer's help panels and markers, translated (typer reads these module globals at run time).
_RICH_TEXTS = {
    "ARGUMENTS_PANEL_TITLE": "cli.help.panel_arguments",
    "OPTIONS_PANEL_TITLE": "cli.help.panel_options",
    "COMMANDS_PANEL_TITLE": "cli.help.panel_commands",
    "DEFAULT_STRING": "cli.help.default",
    "REQUIRED_LONG_STRING": "cli.help.required",
}
# How alike a typo and a name must be to suggest it (difflib ratio): `--rol` -> `--role`, but
# not `--token` -> `--json`.
NEAR = 0.8
# The messages click raises as plain UsageError, without attributes to build a sentence from.
_NO_SUCH_COMMAND = re.compile(r"No such command '([^']*)'")
_EXTRA_ARGUMENTS = re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)")
_NOT_ONE_OF = re.compile(r"'(.*)' is not one of (.*)\.$")
_AT_LEAST = re.compile(r"greater than or equal to (-?\d+)")
_AT_MOST = re.compile(r"less than or equal to (-?\d+)")


def help_language() -> str:
    """The LANGUAGE setting from the environment, else from `.env`, else Indonesian.

    Read without validating the rest of the settings: help must work before they are right.
    """
    raw = os.environ.get("LANGUAGE")
    if raw is None and Path(".env").is_file():
        try:
            found = {k.upper(): v for k, v in dotenv_values(".env", encoding="utf-8").items()}
        except (OSError, UnicodeDecodeError):
            found = {}  # the settings say what is wrong with the file when they are loaded
        raw = found.get("LANGUAGE")
    return normalise_language(raw) if raw else DEFAULT_LANGUAGE


def help_key(path: Sequence[str], param: str | None = None) -> str:
    """The catalogue key of a command's help (`path` below `loket`) or of one of its params."""
    return ".".join(("cli.help", *(path or ("loket",)), *((param,) if param else ())))


def walk(
    command: click_core.Command, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click_core.Command]]:
    """Every command of the tree with its path below `loket`, the root first."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, (*path, name))


def localise(root: click_core.Command, language: str) -> None:
    """Put the catalogue's help texts, in `language`, on every command and parameter.

    A command or parameter without a catalogue key keeps its help from the code (the test of
    the tree requires a key for each, in both languages).
    """
    texts = catalogue(normalise_language(language))
    for global_name, key in _RICH_TEXTS.items():
        setattr(typer.rich_utils, global_name, t(key, language))
    for path, command in walk(root):
        if (text := texts.get(help_key(path))) is not None:
            command.help = text
            command.short_help = None
        for param in command.params:
            if param.name and (text := texts.get(help_key(path, param.name))) is not None:
                param.help = text  # type: ignore[attr-defined]
        help_option = command.get_help_option(click_core.Context(command))
        if help_option is not None:
            help_option.help = t("cli.help.help_option", language)


def _command_line(ctx: click_core.Context | None) -> str:
    return ctx.command_path if ctx is not None else "loket"


def _param_name(param: click_core.Parameter | None, hint: str | None) -> str:
    if param is None:
        return hint or "?"
    if isinstance(param, TyperOption):
        return max(param.opts, key=len)
    return (param.name or "?").upper()


def _bad_value(exc: click_errors.BadParameter, language: str) -> str:
    """Typer checks values with pydantic: its English messages, recognised and retold."""
    hint = exc.param_hint if isinstance(exc.param_hint, str) else None
    name = _param_name(exc.param, hint)
    problem = exc.message.removeprefix("Value error, ")
    if found := _NOT_ONE_OF.search(problem):
        choices = found.group(2).replace("'", "")
        return t("cli.usage.bad_choice", language, name=name, value=found.group(1), choices=choices)
    if "valid integer" in problem:
        return t("cli.usage.bad_number", language, name=name)
    if "valid number" in problem:
        return t("cli.usage.bad_decimal", language, name=name)
    if found := _AT_LEAST.search(problem):
        return t("cli.usage.too_small", language, name=name, minimum=found.group(1))
    if found := _AT_MOST.search(problem):
        return t("cli.usage.too_large", language, name=name, maximum=found.group(1))
    return t("cli.usage.bad_value", language, name=name, problem=problem)


def usage_sentence(exc: click_errors.UsageError, language: str) -> str:
    """A click usage error as one sentence in `language`, naming what to type instead."""
    command = _command_line(exc.ctx)
    if isinstance(exc, click_errors.NoSuchOption):
        near = get_close_matches(exc.option_name, exc.possibilities or [], n=1, cutoff=NEAR)
        key = "cli.usage.no_such_option_near" if near else "cli.usage.no_such_option"
        return t(
            key, language, option=exc.option_name, command=command, near=near[0] if near else ""
        )
    if isinstance(exc, click_errors.MissingParameter):
        name = _param_name(exc.param, None)
        return t("cli.usage.missing", language, name=name, command=command)
    if isinstance(exc, click_errors.BadParameter):
        return _bad_value(exc, language)
    if isinstance(exc, click_errors.BadOptionUsage):
        return t("cli.usage.option_needs_value", language, option=exc.option_name, command=command)
    if found := _NO_SUCH_COMMAND.search(exc.message):
        names = list(getattr(exc.ctx.command, "commands", {})) if exc.ctx is not None else []
        near = get_close_matches(found.group(1), names, n=1, cutoff=NEAR)
        key = "cli.usage.no_such_command_near" if near else "cli.usage.no_such_command"
        return t(key, language, name=found.group(1), command=command, near=near[0] if near else "")
    if exc.message.startswith("Missing command"):
        return t("cli.usage.missing_command", language, command=command)
    if found := _EXTRA_ARGUMENTS.search(exc.message):
        return t("cli.usage.extra_argument", language, args=found.group(1), command=command)
    return t("cli.usage.other", language, problem=exc.message, command=command)


def _say_error(message: str) -> None:
    err_console.print(message, markup=False, highlight=False)


class LoketGroup(TyperGroup):
    """The root `loket` group: help in the configured language and one sentence per error."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; exit 2 with one sentence when it cannot be carried out."""
        language = help_language()
        localise(self, language)
        prog_name = "loket"  # also under test runners, which would call it "root"
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            exc.show()  # `loket report` alone: the help of that group, as click does
            sys.exit(exc.exit_code)
        except click_errors.UsageError as exc:
            _say_error(usage_sentence(exc, language))
            sys.exit(USAGE_EXIT)
        except (DomainError, NotFoundError) as exc:
            _say_error(exc.message(language))
            sys.exit(USAGE_EXIT)
        except LoketError as exc:
            _say_error(exc.message(language))
            sys.exit(1)
        except click_errors.ClickException as exc:
            _say_error(exc.format_message())
            sys.exit(exc.exit_code)
        except typer.Abort:
            _say_error(t("cli.aborted", language))
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)
