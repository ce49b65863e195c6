"""Test-only crash and pause injection, so tests can act on a process at an exact place.

`LOKET_CRASH_AT=<point>:<n>[,<point>:<n>...]` makes the process SIGKILL itself the n-th time it
reaches `crash_point(<point>)`. `LOKET_PAUSE_AT=<point>:<file>[,...]` makes it wait at
`await pause_point(<point>)` until `<file>` exists (a test signals the process meanwhile).
Unset (always, outside tests) each costs one dict lookup.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections import Counter
from pathlib import Path

ENV_VAR = "LOKET_CRASH_AT"
PAUSE_ENV_VAR = "LOKET_PAUSE_AT"
log = logging.getLogger(__name__)


def _plan(spec: str) -> dict[str, int]:
    plan: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, nth = item.partition(":")
        plan[name] = int(nth or 1)
    return plan


_PLAN = _plan(os.environ.get(ENV_VAR, ""))
_reached: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """Do nothing, unless LOKET_CRASH_AT names this point: then die like `kill -9` would."""
    if name not in _PLAN:
        return
    _reached[name] += 1
    if _reached[name] == _PLAN[name]:
        os.kill(os.getpid(), signal.SIGKILL)


def _pauses(spec: str) -> dict[str, Path]:
    pauses: dict[str, Path] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, file = item.partition(":")
        pauses[name] = Path(file)
    return pauses


_PAUSES = _pauses(os.environ.get(PAUSE_ENV_VAR, ""))


async def pause_point(name: str) -> None:
    """Do nothing, unless LOKET_PAUSE_AT names this point: then wait until its file exists."""
    release = _PAUSES.get(name)
    if release is None or release.exists():
        return
    log.info("paused at %s until %s exists (LOKET_PAUSE_AT, tests only)", name, release)
    while not release.exists():  # noqa: ASYNC110 - the signal is a file another process makes
        await asyncio.sleep(0.02)
