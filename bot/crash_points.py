"""Test-only crash injection, so tests can prove recovery from a kill at an exact place.

`LOKET_CRASH_AT=<point>:<n>[,<point>:<n>...]` makes the process SIGKILL itself the n-th time it
reaches `crash_point(<point>)`. Unset (always, outside tests) it costs one dict lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV_VAR = "LOKET_CRASH_AT"


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
