"""aioimaplib's client with its response reader made linear: the same protocol, lines and
literals, read in one pass over each chunk the socket delivers.

aioimaplib 2.0 reads a chunk (up to 256 KiB) line by line, copying the rest of the chunk at
every line and every literal (`bytes.partition`, `data[n:]`), and calls itself once a line,
so a response of ~1 000 lines overflows the stack; a FETCH re-scans every line of its response
each time a line arrives (`FetchCommand.wait_data`); and `data_received` formats the whole chunk
for a DEBUG line even when DEBUG is off. At a backlog of 10 000 mails that was ~20 % of the
poll's event loop. `LeanImapProtocol` reads a chunk with an offset and a loop, `LeanFetch`
counts a FETCH's parentheses as its lines arrive, and the DEBUG line is formatted only when
DEBUG is on (still through aioimaplib's logger, which Loket's log redaction covers).

What a command is handed (its lines and literals, in order) is exactly what aioimaplib hands
it (tests/channels/email/test_imap_protocol.py reads the same responses with both). Written
against aioimaplib 2.0.x (pinned < 3): it uses `Command`'s literal fields, as aioimaplib does.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from typing import Any

from aioimaplib import aioimaplib
from aioimaplib.aioimaplib import (
    CRLF,
    Command,
    FetchCommand,
    IncompleteRead,
    Response,
    literal_data_re,
)

_library_log = logging.getLogger(aioimaplib.__name__)


class LeanFetch(FetchCommand):
    """A FETCH that knows it is complete from counts kept as its lines arrive, not by joining
    and re-scanning every line of its response at each new one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seen = 0  # lines of the response counted so far
        self._open = 0  # "(" minus ")" in the text lines since the last "N FETCH (" line

    def wait_data(self) -> bool:
        """True while the last message's FETCH data has unclosed parentheses (as aioimaplib:
        text lines only, a literal's bytes are not counted)."""
        lines = self._resp_lines
        for line in lines[self._seen :]:
            if isinstance(line, bytes):
                if self.FETCH_MESSAGE_DATA_RE.match(line):
                    self._open = 0
                self._open += line.count(b"(") - line.count(b")")
        self._seen = len(lines)
        return self._open != 0


class LeanImapProtocol(aioimaplib.IMAP4ClientProtocol):
    """aioimaplib's protocol, reading each chunk in one pass (see the module's docstring)."""

    def data_received(self, d: bytes) -> None:
        """Hand the chunk's complete lines and literals to their commands; keep the rest."""
        if _library_log.isEnabledFor(logging.DEBUG):
            _library_log.debug("Received : %s", d)
        try:
            self._handle_responses(
                self.incomplete_line + d, self._handle_line, self.current_command
            )
            self.incomplete_line = b""
            self.current_command = None
        except IncompleteRead as incomplete_read:
            self.current_command = incomplete_read.cmd
            self.incomplete_line = incomplete_read.data

    def _handle_responses(
        self,
        data: bytes,
        line_handler: Callable[[bytes, Command], Command | None],
        current_cmd: Command | None = None,
    ) -> None:
        """aioimaplib's `_handle_responses`, as a loop over `data` with an offset."""
        pos, end = 0, len(data)
        while True:
            if pos >= end:
                if self.pending_sync_command is not None:
                    self.pending_sync_command.flush()
                if current_cmd is not None and current_cmd.wait_data():
                    raise IncompleteRead(current_cmd)
                return
            if current_cmd is not None and current_cmd.wait_literal_data():
                wanted = current_cmd._expected_size - len(current_cmd._resp_literal_data)
                current_cmd.append_literal_data(data[pos : pos + wanted])
                pos = min(end, pos + wanted)
                if current_cmd.wait_literal_data():
                    raise IncompleteRead(current_cmd)
            line_end = data.find(CRLF, pos)
            if line_end < 0:
                raise IncompleteRead(current_cmd, data[pos:])  # type: ignore[arg-type]
            line = data[pos:line_end]
            pos = line_end + len(CRLF)
            cmd = line_handler(line, current_cmd)  # type: ignore[arg-type]
            begin_literal = literal_data_re.match(line)
            if begin_literal:
                if cmd is None:
                    cmd = Command("NIL", "unused")
                cmd.begin_literal_data(int(begin_literal.group("size")))
                current_cmd = cmd
            elif cmd is not None and cmd.wait_data():
                current_cmd = cmd
            else:
                current_cmd = None

    async def fetch(
        self,
        message_set: str,
        message_parts: str,
        by_uid: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - aioimaplib's signature
    ) -> Response:
        """aioimaplib's FETCH, as a `LeanFetch`."""
        return await self.execute(
            LeanFetch(self.new_tag(), message_set, message_parts,
                      prefix="UID" if by_uid else "", loop=self.loop, timeout=timeout)
        )  # fmt: skip


class LeanImap(aioimaplib.IMAP4):
    """aioimaplib's client over `LeanImapProtocol`."""

    def create_client(
        self,
        host: str,
        port: int,
        loop: asyncio.AbstractEventLoop,
        conn_lost_cb: Callable[[Exception | None], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """aioimaplib's `create_client`, with the lean protocol."""
        local_loop = loop if loop is not None else asyncio.get_running_loop()
        self.protocol = LeanImapProtocol(local_loop, conn_lost_cb)
        self._client_task = local_loop.create_task(
            local_loop.create_connection(lambda: self.protocol, host, port, ssl=ssl_context)
        )
