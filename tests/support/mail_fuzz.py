"""Hostile variants of real mail for the fuzz test (CI) and `python -m bench fuzz_mail`.

Each variant starts from a corpus mail and applies a few mutations drawn from a seeded
`random.Random`: byte flips, header garbage, deep nesting of multiparts, message/rfc822 and
<blockquote>, odd charset labels, comments in address headers, huge RFC 2231 parameters, and
truncation. The same seed always gives the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

CHARSET_LABELS = (
    "\x00",
    "utf-8\x00",
    "x-unknown-charset",
    "unknown-8bit",
    "utf-7",
    "iso-2022-jp",
    "utf-16",
    "utf-32-be",
    "cp65001",
    "'",
    '"',
    "=?utf-8?q?x?=",
    "a" * 300,
    "idna",
    "rot13",
    "base64",
    "zlib_codec",
    "hex",
    "uu",
    "punycode",
    "",
)
_GARBAGE_HEADERS = (
    b"From: ((((((((((((((((((((((((((((((((((((((((((((a@b.test",
    b"From: a" + b"(c" * 400 + b"@b.test",
    b'To: "unterminated <x@y.test',
    b'Cc: <<<<<>>>>>, @, a@, @b, "\\" <a@b>',
    b"From: =?x-bogus?q?Budi?= <budi@warga.test>",
    b"From: =?utf-8\x00?B?QnVkaQ==?= <budi@warga.test>",
    b"Subject: =?utf-8?B?" + b"QUJD" * 2000 + b"?=",
    b"Subject: =?unknown?Q?=FF=FE?=",
    b'Content-Type: text/plain; charset="\x00"',
    b'Content-Type: multipart/mixed; boundary=""',
    b"Content-Type: multipart/mixed",
    b"Content-Type: message/rfc822",
    b"Content-Type: text/html; charset=utf-8",
    b"Content-Transfer-Encoding: base64",
    b"Content-Transfer-Encoding: quoted-printable",
    b"Content-Transfer-Encoding: x-uuencode",
    b"Content-Disposition: attachment; "
    + b"".join(b"filename*%d*=utf-8''%%E2%%82%%AC%%FF;" % i for i in range(3000)),
    b"Content-Disposition: attachment; filename*=\x00''x",
    b"In-Reply-To: " + b"<" * 5000,
    b"References: " + b" ".join(b"<%d@x>" % i for i in range(3000)),
    b"Message-ID: <" + b"a" * 5000 + b"@x>",
    b"Return-Path: <>",
    b"X-Failed-Recipients: " + b"a@b," * 2000,
    b"\x00\x00: \x00",
    b": no name",
    b"Date: Mon, 99 Foo 99999 99:99:99 +9999",
)


def _flip_bytes(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 12)):
        if data:
            data[rng.randrange(len(data))] = rng.choice(
                [0, 0xFF, 0x0A, 0x0D, 0x3A, 0x3B, 0x3D, 0x3F, rng.randrange(256)]
            )
    return bytes(data)


def _header_garbage(raw: bytes, rng: random.Random) -> bytes:
    head, sep, body = (
        raw.partition(b"\n\n") if b"\r\n\r\n" not in raw else raw.partition(b"\r\n\r\n")
    )
    lines = head.splitlines()
    for _ in range(rng.randint(1, 3)):
        lines.insert(rng.randint(0, len(lines)), rng.choice(_GARBAGE_HEADERS))
    return b"\r\n".join(lines) + (sep or b"\r\n\r\n") + body


def _charset_label(raw: bytes, rng: random.Random) -> bytes:
    label = rng.choice(CHARSET_LABELS).encode("latin-1")
    if b"charset=" in raw.lower():
        start = raw.lower().index(b"charset=") + len(b"charset=")
        end = start
        while end < len(raw) and raw[end : end + 1] not in (b";", b"\r", b"\n"):
            end += 1
        return raw[:start] + b'"' + label + b'"' + raw[end:]
    return b'Content-Type: text/plain; charset="' + label + b'"\r\n' + raw


def _nested_multipart(raw: bytes, rng: random.Random) -> bytes:
    depth = rng.choice([50, 500, 1500, 3000])
    kind = rng.choice(["multipart", "rfc822"])
    head = b"From: Budi <budi@warga.test>\r\nSubject: bersarang\r\nMIME-Version: 1.0\r\n"
    if kind == "rfc822":
        return (head + b"Content-Type: message/rfc822\r\n\r\n") * depth + raw
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(depth)
    )
    closing = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    return head + opening + b"Content-Type: text/plain\r\n\r\nisi\r\n" + closing


def _nested_html(raw: bytes, rng: random.Random) -> bytes:
    depth = rng.choice([100, 2000, 20000])
    tag = rng.choice([b"blockquote", b"div", b"a href='x'", b"pre", b"li"])
    closing = tag.split(b" ")[0]
    html = b"<" + tag + b">" + b"x<" + tag + b">" * depth + b"isi" + b"</" + closing + b">" * depth
    if rng.random() < 0.5:
        html = rng.choice([b"<!--", b"<a", b"<![", b"</", b"&#"]) * rng.choice([100, 5000])
    return (
        b"From: Budi <budi@warga.test>\r\nSubject: html\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html
    )


def _truncate(raw: bytes, rng: random.Random) -> bytes:
    return raw[: rng.randrange(len(raw) + 1)]


MUTATIONS: tuple[Callable[[bytes, random.Random], bytes], ...] = (
    _flip_bytes,
    _header_garbage,
    _charset_label,
    _nested_multipart,
    _nested_html,
    _truncate,
)


def hostile_variant(corpus: list[bytes], rng: random.Random) -> bytes:
    """One hostile mail: a corpus mail with one to three mutations applied."""
    raw = rng.choice(corpus)
    for _ in range(rng.randint(1, 3)):
        raw = rng.choice(MUTATIONS)(raw, rng)
    return raw


def load_corpus(paths: list[Path]) -> list[bytes]:
    """The raw bytes of the given mails."""
    return [path.read_bytes() for path in paths]
