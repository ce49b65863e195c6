"""A mail reader worker imports only what reading a mail needs: each worker is a new interpreter
(channels/email/worker.py), and what `channels.email.reader` pulls in is paid again by each one
before its first mail (the database, the core's services and the HTTP stacks took ~2 s a worker
on a 2-core machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Packages and modules a worker never needs to read a mail.
HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "aiohttp",
    "telegram",
    "aioimaplib",
    "aiosmtplib",
    "pydantic",
    "openpyxl",
    "weasyprint",
    "alembic",
    "bot.ports",
    "bot.services",
    "store.models",
)
ROOT = Path(__file__).resolve().parents[3]


def heavy_modules_after(statement: str) -> list[str]:
    """The HEAVY modules (or their submodules) a fresh interpreter holds after `statement`."""
    script = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(m for m in sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120,
        check=True,
    )  # fmt: skip
    loaded = json.loads(done.stdout.splitlines()[-1])
    return [m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_importing_the_reader_loads_no_database_core_or_http_stack() -> None:
    assert heavy_modules_after("import channels.email.reader") == []


def test_the_worker_module_and_the_channel_package_stay_light_too() -> None:
    # worker.py is what the main process imports to start readers; the package's own
    # __init__ runs first whenever any submodule is imported.
    assert heavy_modules_after("import channels.email.worker, channels.email.message") == []


def test_the_reader_still_reads_a_mail_in_such_a_light_interpreter() -> None:
    statement = (
        "from channels.email.reader import read_mail\n"
        "from tests.support.emails import make_email\n"
        "reading = read_mail(make_email(message_id='<light@warga.test>'))\n"
        "assert reading.message_id == 'light@warga.test', reading"
    )
    assert heavy_modules_after(statement) == []
