"""SIGTERM to a real `loket run` while a scheduler tick is running: the tick finishes (within
STOP_GRACE_SECONDS), the process exits 0, and nothing logs an ERROR or a traceback.

The tick is held inside its first job's transaction by LOKET_PAUSE_AT (bot/crash_points.py):
the process waits there until the test creates a file, so the test knows the tick is running
when it sends SIGTERM, and releases it only after the service has begun stopping.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.crash_points import ENV_VAR, PAUSE_ENV_VAR
from bot.services import Services
from store.enums import CaseKind, ComplaintStatus
from store.models import Case
from tests.support.builders import make_case

PAUSED = "paused at scheduler.before_commit"
STOPPING = "stopping: the running scheduler tick"


async def complaint_due_for_auto_close(services: Services) -> int:
    """A complaint whose follow-up went unanswered long ago: the tick's first job closes it."""
    case = await make_case(services, kind=CaseKind.COMPLAINT)
    async with services.db.transaction() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None
        stored.status = ComplaintStatus.IN_PROCESS.value
        stored.followed_up_at = dt.datetime(2025, 11, 3, 9, 0, tzinfo=dt.UTC)
    assert case.id is not None
    return case.id


async def status_of(services: Services, case_id: int) -> str:
    async with services.db.session() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        return case.status


def start_run(services: Services, tmp_path: Path, grace: str) -> tuple[subprocess.Popen[str], Path]:
    """`loket run` on the test's database, its stderr going to a file the test reads."""
    env = {k: v for k, v in os.environ.items() if k not in (ENV_VAR, PAUSE_ENV_VAR)}
    env |= {
        "DATABASE_URL": services.settings.database_url,
        "ATTACHMENT_DIR": str(services.settings.attachment_dir),
        "LOG_LEVEL": "INFO",
        "STOP_GRACE_SECONDS": grace,
        PAUSE_ENV_VAR: f"scheduler.before_commit:{tmp_path / 'release'}",
    }
    log = tmp_path / "stderr.log"
    process = subprocess.Popen(
        [sys.executable, "-c", "from app.cli.main import main; main()", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        text=True,
    )
    return process, log


def wait_for_line(process: subprocess.Popen[str], log: Path, fragment: str) -> None:
    """Block until `fragment` shows in the process's stderr (fail if it exits first)."""
    for _ in range(3000):  # a generous bound on a loaded machine, not a timing assertion
        if fragment in log.read_text():
            return
        assert process.poll() is None, log.read_text()
        time.sleep(0.02)
    process.kill()
    raise AssertionError(f"{fragment!r} never logged:\n{log.read_text()}")


async def test_sigterm_lets_the_running_tick_finish_and_commit(
    services: Services, tmp_path: Path
) -> None:
    case_id = await complaint_due_for_auto_close(services)
    process, log = start_run(services, tmp_path, grace="60")
    wait_for_line(process, log, PAUSED)
    process.send_signal(signal.SIGTERM)
    wait_for_line(process, log, STOPPING)
    (tmp_path / "release").touch()
    assert process.wait(timeout=120) == 0, log.read_text()
    stderr = log.read_text()
    assert " ERROR " not in stderr and "Traceback" not in stderr, stderr
    assert "cancelled" not in stderr
    assert await status_of(services, case_id) == ComplaintStatus.DONE.value


async def test_a_tick_longer_than_the_grace_is_cancelled_with_a_warning_and_rolled_back(
    services: Services, tmp_path: Path
) -> None:
    case_id = await complaint_due_for_auto_close(services)
    process, log = start_run(services, tmp_path, grace="0.2")
    wait_for_line(process, log, PAUSED)
    process.send_signal(signal.SIGTERM)  # the pause is never released
    assert process.wait(timeout=120) == 0, log.read_text()
    stderr = log.read_text()
    assert " ERROR " not in stderr and "Traceback" not in stderr, stderr
    assert (
        " WARNING scheduler.service: the scheduler tick did not finish within "
        "STOP_GRACE_SECONDS=0.2; cancelled"
    ) in stderr
    assert await status_of(services, case_id) == ComplaintStatus.IN_PROCESS.value
