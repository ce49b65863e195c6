"""A mail reader whose module takes longer to import than the worker tests' per-mail budget,
as the real parser's imports do on a busy machine. Imported only by the spawned worker."""

from __future__ import annotations

import time

from channels.email.message import MailReading
from channels.email.reader import read_mail

IMPORT_SECONDS = 3.0
time.sleep(IMPORT_SECONDS)


def slow_to_import_reader(raw: bytes) -> MailReading:
    """`read_mail`, from a module that was slow to import."""
    return read_mail(raw)
