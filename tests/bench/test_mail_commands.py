"""`python -m bench mail` (mails delivered into Dovecot's Maildir, then the real poll) and
`python -m bench mail_ingest` run end to end and print their one JSON line, every mail taken."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def figure(*args: str) -> tuple[dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    (line,) = [json.loads(text) for text in done.stdout.splitlines() if text.startswith("{")]
    return line, done.stdout


def test_the_mail_figure_polls_every_delivered_mail() -> None:
    line, printed = figure("mail", "--n", "30", "--no-peer")
    assert "# loket: env: 30 email diambil" in printed  # the poll's summary: all 30 fetched
    assert (line["figure"], line["n"], line["backend"]) == ("mail", 30, "sqlite")
    assert line["rate"] > 0 and line["peak_rss_mb"] > 0


def test_the_ingest_figure_counts_cpu_and_statements() -> None:
    line, _printed = figure("mail_ingest", "--n", "50")
    assert (line["figure"], line["n"]) == ("mail_ingest", 50)
    assert line["cpu_ms_per_mail"] > 0 and 0 < line["statements_per_mail"] < 10
