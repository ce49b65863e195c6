"""The `smtp_server` fixture: the sandbox's SMTP sink (sandbox/mail_sink.py), running for one
test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.mail_sink import SmtpSink

__all__ = ["SmtpSink", "smtp_server"]


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """A running SMTP sink, stopped after the test."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()
