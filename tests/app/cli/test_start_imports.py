"""`loket` starts without loading what its command does not use: every command imports
app.cli.main, and so does each process Python's spawn start method starts from the `loket`
script (the mail reader workers re-run it before their first mail). Each command imports the
store, the core and its renderers when it runs (app/cli/common.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# Nothing of this for the command tree or `--help`.
HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "pydantic",
    "aiohttp",
    "telegram",
    "openpyxl",
    "weasyprint",
    "alembic",
    "holidays",
    "aioimaplib",
    "aiosmtplib",
    "bot.services",
    "store.models",
    "app.settings",
    "app.demo",
    "sandbox",
    "scheduler",
)
# What only its own command needs, not even `loket mail poll`.
NOT_FOR_THE_POLL = (
    "openpyxl",
    "weasyprint",
    "telegram",
    "aiohttp",
    "alembic",
    "app.demo",
    "sandbox",
)


def loaded_after(code: str, *argv: str) -> list[str]:
    """The modules a fresh interpreter holds after running `code` with `sys.argv[1:] = argv`."""
    script = (
        f"import sys\nsys.argv = ['loket', *{list(argv)!r}]\n{code}\n"
        "import json\nprint(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120,
        check=False, env={"PATH": "/usr/bin:/bin", "COLUMNS": "120"},
    )  # fmt: skip
    assert done.stdout.strip(), done.stderr
    return list(json.loads(done.stdout.splitlines()[-1]))


def among(modules: list[str], names: tuple[str, ...]) -> list[str]:
    """The `names` (packages or modules) that `modules` holds, themselves or a submodule."""
    return sorted({n for n in names for m in modules if m == n or m.startswith(n + ".")})


def test_importing_the_command_tree_loads_no_store_core_or_library_stack() -> None:
    assert among(loaded_after("import app.cli.main"), HEAVY) == []


def test_help_loads_none_of_them_either() -> None:
    run_help = "from app.cli.main import main\ntry:\n    main()\nexcept SystemExit:\n    pass"
    modules = loaded_after(run_help, "--help")
    assert "app.cli.main" in modules
    assert among(modules, HEAVY) == []


def test_the_mail_poll_loads_the_channel_and_not_the_other_commands_libraries(
    tmp_path: Path,
) -> None:
    # `mail poll --once` on a store without schema: the channel's intake, the store and the
    # core load (the command runs, and stops at the missing tables), the reports' renderers,
    # Telegram, the HTTP server and Alembic do not.
    url = f"sqlite+aiosqlite:///{tmp_path / 'none.db'}"
    run_poll = (
        f"import os\nos.environ['DATABASE_URL'] = {url!r}\n"
        "from app.cli.main import main\ntry:\n    main()\nexcept SystemExit:\n    pass"
    )
    modules = loaded_after(run_poll, "mail", "poll", "--once")
    assert {"store.models", "bot.services", "channels.email.runner"} <= set(modules)
    assert among(modules, NOT_FOR_THE_POLL) == []


def test_the_mail_list_dispositions_are_the_records_own() -> None:
    # `mail list --disposition` names its choices without importing the channel's records.
    from app.cli.mail import Disposition
    from channels.email.records import MailDisposition

    assert [d.value for d in Disposition] == [d.value for d in MailDisposition]
