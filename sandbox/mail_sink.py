"""A real SMTP server on loopback (aiosmtpd) that keeps every mail it is given: the outgoing
mail server of `loket demo` and of the tests. It can be taken down and brought back on the same
port, to test delivery through outages, and told to refuse some recipients for good.
"""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (aiosmtpd 1.4.6 cannot bind port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1:`port`; `messages` holds every mail it accepted."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.refused: set[str] = set()  # recipients answered with 550 (no such mailbox)
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        """aiosmtpd hook: refuse the addresses in `refused` for good, accept the others."""
        if address in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd hook (runs in the controller's thread): keep the mail, answer 250."""
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.envelopes.append(envelope)
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def start(self) -> SmtpSink:
        """Listen (again) on the same port."""
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until `start()`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
