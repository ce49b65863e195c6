"""channels/email/imap_protocol.py reads IMAP responses exactly as aioimaplib does, in one pass:
the same responses, cut into chunks at every kind of boundary (inside a line, a CRLF, a
literal's size, a literal), give each command the same lines and literals with both readers;
and a response of thousands of lines, which aioimaplib's recursive reader cannot take, is read."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from aioimaplib import aioimaplib

from channels.email.imap_protocol import LeanImapProtocol


class Wire:
    """A transport that keeps what the client sends."""

    def __init__(self) -> None:
        self.sent = b""
        self.written = asyncio.Event()

    def write(self, data: bytes) -> None:
        self.sent += data
        self.written.set()

    def is_closing(self) -> bool:
        return False


def mail(n: int) -> bytes:
    """A message whose body has what could confuse a reader: parentheses, braces, CRLFs."""
    return (
        f"From: Warga {n} <warga{n}@warga.test>\r\nSubject: (Permohonan) {{{n}}}\r\n\r\n"
        f"Isi ( tidak seimbang {{12}}\r\n) ))\r\n* {n} FETCH (palsu\r\nA001 OK bukan\r\n"
    ).encode()


def fetch_response(tag: str, count: int) -> bytes:
    """A UID FETCH answer of `count` mails with their flags and dates, then the tagged OK."""
    parts = []
    for n in range(1, count + 1):
        body = mail(n)
        parts.append(
            f'* {n} FETCH (UID {n + 100} FLAGS (\\Recent) INTERNALDATE "05-Jan-2026 08:00:00 '
            f'+0700" BODY[] {{{len(body)}}}\r\n'.encode()
            + body
            + b")\r\n"
        )
    return b"".join(parts) + f"{tag} OK Fetch completed.\r\n".encode()


async def read_with(
    protocol_class: type[aioimaplib.IMAP4ClientProtocol], chunks: Any, parts: str, count: int
) -> tuple[str, list[bytes]]:
    """Run one UID FETCH on a protocol of `protocol_class`, the server's answer fed in the
    chunks `chunks(answer)` cuts it into; the result and lines (literals as bytes)."""
    loop = asyncio.get_running_loop()
    protocol = protocol_class(loop, None)
    wire = Wire()
    protocol.connection_made(wire)  # type: ignore[arg-type]
    protocol.state = aioimaplib.SELECTED
    command = asyncio.ensure_future(protocol.uid("fetch", f"101:{100 + count}", parts))
    await asyncio.wait_for(wire.written.wait(), 5)
    tag = wire.sent.split(b" ", 1)[0].decode()
    for chunk in chunks(fetch_response(tag, count)):
        protocol.data_received(chunk)
    response = await asyncio.wait_for(command, 5)
    return response.result, [bytes(line) for line in response.lines]


def cut_every(size: int) -> Any:
    """Chunks of `size` bytes."""
    return lambda data: [data[i : i + size] for i in range(0, len(data), size)]


def cut_randomly(seed: int) -> Any:
    """Chunks of random sizes, 1 to 300 bytes."""

    def cut(data: bytes) -> list[bytes]:
        rng, chunks, i = random.Random(seed), [], 0
        while i < len(data):
            size = rng.randint(1, 300)
            chunks.append(data[i : i + size])
            i += size
        return chunks

    return cut


@pytest.mark.parametrize(
    "chunks",
    [cut_every(n) for n in (1, 2, 3, 5, 17, 64, 1000, 10**6)] + [cut_randomly(s) for s in range(8)],
)
async def test_a_fetch_reads_the_same_lines_as_aioimaplib(chunks: Any) -> None:
    parts = "(UID FLAGS INTERNALDATE BODY.PEEK[])"
    theirs = await read_with(aioimaplib.IMAP4ClientProtocol, chunks, parts, 6)
    ours = await read_with(LeanImapProtocol, chunks, parts, 6)
    assert ours == theirs
    assert ours[0] == "OK"
    assert [line for line in ours[1] if line.startswith(b"From: ")] == [
        mail(n) for n in range(1, 7)
    ]


async def test_a_response_of_thousands_of_lines_is_read_in_one_chunk() -> None:
    # aioimaplib calls itself once a line: this many lines in one read overflow its stack.
    result, lines = await read_with(LeanImapProtocol, cut_every(10**7), "(UID BODY.PEEK[])", 3000)
    assert result == "OK"
    assert sum(line.startswith(b"From: ") for line in lines) == 3000
