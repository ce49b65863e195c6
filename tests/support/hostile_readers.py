"""Mail readers for the worker tests: `read_mail`, except for mail carrying a test marker,
which makes the worker hang, allocate without end, die, or raise. Module-level functions, so
the spawned worker can import them."""

from __future__ import annotations

import os
import signal
import time

from channels.email.message import MailReading
from channels.email.reader import read_mail

HANG = b"X-Test-Worker: hang"
ALLOCATE = b"X-Test-Worker: allocate"
DIE = b"X-Test-Worker: die"
RAISE = b"X-Test-Worker: raise"


def hostile_reader(raw: bytes) -> MailReading:
    """`read_mail`, or the failure the mail's marker asks for."""
    if HANG in raw:
        time.sleep(3600)
    if ALLOCATE in raw:
        hoard = [bytearray(64 * 1024 * 1024) for _ in range(1024)]  # 64 GiB, far past the cap
        del hoard
    if DIE in raw:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
    if RAISE in raw:
        raise ValueError("reader bug")
    return read_mail(raw)
