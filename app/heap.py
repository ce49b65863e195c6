"""The objects start-up built, kept out of the garbage collector's full scans while Loket runs.

A full collection (generation 2) walks every object the collector tracks; after start-up those
are several hundred thousand (SQLAlchemy's mappers and compiled statements, python-telegram-bot's
classes, the message catalogue), and one walk took 70-95 ms on the bench machine, during which
the event loop handles nothing: it landed on whichever Telegram updates were in flight and was
most of the handler p99's top (issue #11, docs/benchmarks.md, branch `tgfast`). What start-up
built lives as long as the process, so once everything is started it is moved out of the
collector's sight (`gc.freeze`, Python's gc documentation); objects made later are collected as
before, and anything freed by its reference count is freed as before.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


def freeze_startup() -> int:
    """Collect start-up's garbage, then keep every object left out of later collections;
    returns how many objects are now frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def thaw() -> None:
    """Hand the frozen objects back to the collector (after a stop: nothing stays pinned)."""
    gc.unfreeze()


@contextlib.contextmanager
def frozen_startup() -> Iterator[None]:
    """Start-up's objects frozen for the block (`freeze_startup`), handed back after it."""
    freeze_startup()
    try:
        yield
    finally:
        thaw()
