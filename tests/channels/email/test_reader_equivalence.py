"""The cheaper reader reads every mail exactly as the reader before it did (branch `mailread`).

Every field of `read_mail`'s result, the signature `parse_mail` set apart and the signals of
`classify` are compared with those of the frozen copy of the old reader (reader_before/), over
the real-world corpus (read in place), the real-world samples, the bench's mix, hostile
variants of the corpus (the fuzz tests' mutations) and generated mails: nested multiparts, odd
charsets, encoded-words, missing and stray boundaries, truncated and broken base64, bodies with
no blank line after the headers, forwarded mail, CRLF and LF line ends.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import random
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest

from bench.mail import realistic_mails
from channels.email.classify import classify
from channels.email.mime import (
    LENIENT,
    _plain_unstructured,
    _simple_addresses,
    addresses,
    header_text,
    read_message,
)
from channels.email.parse import parse_mail
from channels.email.reader import read_mail
from channels.email.standins import runs_stood_in
from tests.channels.email.reader_before import classify as classify_before
from tests.channels.email.reader_before import mime as mime_before
from tests.channels.email.reader_before import parse as parse_before
from tests.channels.email.reader_before import reader as reader_before
from tests.support import real_world_emails, real_world_people
from tests.support.emails import INDONESIAN_REQUESTS, corpus_files
from tests.support.mail_fuzz import hostile_variant, load_corpus
from tests.support.real_world_emails import Sample

CORPUS_MAILS = load_corpus(corpus_files()) + list(INDONESIAN_REQUESTS.values())
SAMPLES = [
    value.raw
    for module in (real_world_emails, real_world_people)
    for value in vars(module).values()
    if isinstance(value, Sample)
]


# What the reader adds beyond the old one: the digests it works out so that the poll need
# not (checked against the bytes in _assert_same, not compared with the old reader's None).
DIGESTS = frozenset({"raw_digest", "sha256"})


def _plain(value: Any) -> Any:
    """A value with every dataclass (the reading, its report, its files) as a tuple of fields,
    so that two readers' results compare whatever module defined their classes."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            *(
                _plain(getattr(value, f.name))
                for f in dataclasses.fields(value)
                if f.name not in DIGESTS
            ),
        )
    if isinstance(value, tuple | list):
        return tuple(_plain(v) for v in value)
    return value


def _readings(raw: bytes) -> tuple[Any, Any]:
    """(old, new): the reading, the signature and the classification signals of `raw`."""
    old_parsed = parse_before.parse_mail(raw)
    new_parsed = parse_mail(raw)
    old = (
        _plain(reader_before.read_mail(raw)),
        old_parsed.signature,
        _plain(classify_before.classify(old_parsed.message)),
    )
    new = (_plain(read_mail(raw)), new_parsed.signature, _plain(classify(new_parsed.message)))
    return old, new


def _assert_same(raw: bytes) -> None:
    old, new = _readings(raw)
    assert new == old, raw[:300]
    reading = read_mail(raw)
    assert reading.raw_digest == hashlib.sha256(raw).hexdigest()
    assert all(f.sha256 == hashlib.sha256(f.data).hexdigest() for f in reading.attachments)


def _b64(data: bytes, width: int = 76, eol: bytes = b"\r\n") -> bytes:
    encoded = base64.b64encode(data)
    return eol.join(encoded[i : i + width] for i in range(0, len(encoded), width)) + eol


def _head(rng: random.Random, eol: bytes) -> bytes:
    senders = [
        b"Budi Santoso <budi@warga.test>",
        b"=?utf-8?b?U2l0aSDDgW1pbmFo?= <siti@warga.test>",
        b"=?iso-8859-1?q?Jos=E9?= <jose@warga.test>",
        b'"Rina, W." <rina@lsm.test>',
        b"Agus (kantor) <agus@warga.test>",
        b"\xc3\x89lise <elise@warga.test>",
        b"MAILER-DAEMON@mx.test",
    ]
    subjects = [
        b"Permohonan informasi",
        b"=?utf-8?q?Permohonan_data_=E2=82=AC?=",
        b"Re: Permohonan informasi",
        b"Fwd: surat",
        b"Undelivered Mail Returned to Sender",
        b"Balasan otomatis: cuti",
        b"=?koi8-r?b?8NLJ18XU?= campur",
    ]
    lines = [
        b"From: " + rng.choice(senders),
        b"To: ppid@pemda.test, =?utf-8?q?Humas?= <humas@pemda.test>",
        b"Subject: " + rng.choice(subjects),
        b"Message-ID: <gen-%d@warga.test>" % rng.randrange(10**6),
        b"MIME-Version: 1.0",
    ]
    if rng.random() < 0.3:
        lines.append(b"References: <a@x.test>\r\n <b@x.test>".replace(b"\r\n", eol))
    if rng.random() < 0.1:
        lines.append(b"Auto-Submitted: auto-replied")
    return eol.join(lines) + eol


_CHARSETS = [b"utf-8", b"iso-8859-1", b"us-ascii", b"windows-1252", b"koi8-r", b"iso-2022-jp",
             b"utf-7", b"x-unknown", b"", b"\"utf-8\"", b"shift_jis", b"utf-16"]  # fmt: skip
_TEXTS = ["Mohon data APBD 2025.\n\nNama: Budi\nNIK: 123\n", "Caf\u00e9 \u20ac 5\n",
          "Terima kasih.\n-- \nBudi\n", "On Mon, Budi wrote:\n> kutipan\n",
          "\u0416\u0443\u043a\n"]  # fmt: skip


def _text_part(rng: random.Random, eol: bytes, subtype: bytes = b"plain") -> bytes:
    charset = rng.choice(_CHARSETS)
    text = rng.choice(_TEXTS)
    if subtype == b"html":
        text = f"<html><body><p>{text}</p><blockquote>kutip</blockquote></body></html>"
    codec = charset.strip(b'"').decode() or "utf-8"
    try:
        body = text.encode(codec.replace("x-unknown", "utf-8"))
    except (LookupError, UnicodeError):
        body = text.encode("utf-8")
    cte = rng.choice([b"7bit", b"8bit", b"base64", b"quoted-printable", None])
    if cte == b"base64":
        body = _b64(body, eol=eol)
    elif cte == b"quoted-printable":
        body = body.replace(b"=", b"=3D")
    head = b"Content-Type: text/" + subtype + (b"; charset=" + charset if charset else b"")
    head += eol + (b"Content-Transfer-Encoding: " + cte + eol if cte else b"")
    return head + eol + body.replace(b"\n", eol)


def _attachment(rng: random.Random, eol: bytes) -> bytes:
    data = rng.randbytes(rng.choice([0, 1, 2, 3, 57, 300, 5000, 40_000]))
    names = [b'"surat.pdf"', b"=?utf-8?q?surat_=E2=82=AC.pdf?=", b"foto.jpg", b'"a\\b/..\\c.txt"']
    ctype = rng.choice([b"application/pdf", b"image/jpeg", b"application/octet-stream"])
    encoded = _b64(data, width=rng.choice([76, 64, 72, 4000]), eol=eol)
    flaw = rng.random()
    if flaw < 0.1:
        encoded = encoded[: len(encoded) // 2]  # truncated
    elif flaw < 0.15:
        encoded = encoded.replace(b"A", b"*", 3)  # not base64
    elif flaw < 0.2:
        encoded = encoded.replace(eol, eol + b" ", 2)  # a folded-looking line
    elif flaw < 0.25:
        encoded = encoded.replace(b"=", b"") + b"====" + eol  # padding moved
    elif flaw < 0.3:
        encoded = eol.join(encoded.split(eol)[:3]) + eol + b"--" + eol + encoded
    disposition = b"Content-Disposition: attachment; filename=" + rng.choice(names)
    if rng.random() < 0.2:
        disposition = b"Content-Disposition: attachment; filename*=utf-8''surat%20%E2%82%AC.pdf"
    cte = b"Content-Transfer-Encoding: " + rng.choice([b"base64", b"BASE64", b" base64 "])
    return eol.join([b"Content-Type: " + ctype, disposition, cte]) + eol + eol + encoded


def _multipart(rng: random.Random, eol: bytes, depth: int) -> bytes:
    subtype = rng.choice([b"mixed", b"alternative", b"related", b"signed", b"report"])
    boundary = rng.choice([b"b%d" % depth, b'"=_b %d"' % depth, b"----=_Part_%d" % depth])
    bare = boundary.strip(b'"')
    parts = []
    for _ in range(rng.randint(0, 4)):
        draw = rng.random()
        if draw < 0.3:
            parts.append(_text_part(rng, eol, rng.choice([b"plain", b"html"])))
        elif draw < 0.6:
            parts.append(_attachment(rng, eol))
        elif draw < 0.75 and depth < 4:
            parts.append(_multipart(rng, eol, depth + 1))
        elif draw < 0.85:
            inner = _head(rng, eol) + _multipart(rng, eol, depth + 1) if depth < 4 else b""
            parts.append(b"Content-Type: message/rfc822" + eol + eol + inner)
        else:
            parts.append(b"Content-Type: text/plain" + eol + eol + b"tanpa charset" + eol)
    head = b"Content-Type: multipart/" + subtype + b"; boundary=" + boundary + eol + eol
    preamble = rng.choice([b"", b"This is a multi-part message in MIME format." + eol,
                           _b64(b"preamble bytes " * 20, eol=eol)])  # fmt: skip
    body = b"".join(b"--" + bare + eol + part + eol for part in parts)
    ending = rng.random()
    if ending < 0.7:
        body += b"--" + bare + b"--" + eol
    elif ending < 0.8:
        body += b"--" + bare + b"--" + eol + b"epilog" + eol + _b64(b"x" * 300, eol=eol)
    # else: the closing boundary is missing
    if rng.random() < 0.05:
        body = body.replace(b"--" + bare + eol, b"--" + bare + b"X" + eol, 1)  # a stray one
    return head + preamble + body


def generated_mail(seed: int) -> bytes:
    """One generated mail, by `seed`: deterministic, so a failure names its seed."""
    rng = random.Random(seed)
    eol = rng.choice([b"\r\n", b"\n"])
    head = _head(rng, eol)
    draw = rng.random()
    if draw < 0.15:
        return head + _text_part(rng, eol)
    if draw < 0.2:  # base64 right under the headers, no blank line
        return head + b"Content-Transfer-Encoding: base64" + eol + _b64(b"isi " * 500, eol=eol)
    if draw < 0.25:  # a body whose base64 lines run without a declared encoding
        return head + eol + _b64(rng.randbytes(3000), eol=eol)
    if draw < 0.3:  # base64 lines cut by a boundary that is not declared
        return head + b"Content-Type: multipart/mixed" + eol + eol + _b64(b"x" * 900, eol=eol)
    return head + _multipart(rng, eol, 0)


def _generated(count: int) -> Iterator[bytes]:
    for seed in range(count):
        yield generated_mail(seed)


@pytest.mark.parametrize("raw", CORPUS_MAILS + SAMPLES, ids=lambda raw: raw[:0].hex() or "mail")
def test_real_world_mail_is_read_as_before(raw: bytes) -> None:
    _assert_same(raw)


def test_the_bench_mix_is_read_as_before() -> None:
    for raw in realistic_mails(150, seed=3):
        _assert_same(raw)


@pytest.mark.parametrize("block", range(4))
def test_hostile_variants_are_read_as_before(block: int) -> None:
    for case in range(block * 100, (block + 1) * 100):
        _assert_same(hostile_variant(CORPUS_MAILS, random.Random(f"equivalence:{case}")))


@pytest.mark.parametrize("block", range(4))
def test_generated_mails_are_read_as_before(block: int) -> None:
    for seed in range(block * 150, (block + 1) * 150):
        _assert_same(generated_mail(seed))


def test_generated_mails_cover_what_they_claim() -> None:
    mails = list(_generated(600))
    parsed = [parse_mail(raw) for raw in mails]
    assert sum(bool(p.attachments) for p in parsed) > 120
    assert sum("structure" in p.problems for p in parsed) == 0
    assert sum(b"\r\n" not in raw for raw in mails) > 180


def _tree(msg: Message) -> Any:
    """Everything the parser built: headers, preamble, epilogue, defects, payload or parts."""
    payload = msg._payload
    inner = [_tree(p) for p in payload] if isinstance(payload, list) else payload
    defects = [type(d).__name__ for d in msg.defects]
    return (msg._headers, msg.preamble, msg.epilogue, defects, msg.get_unixfrom(), inner)


def _with_runs(seed: int) -> bytes:
    """A mail whose base64 runs sit where the parser treats lines differently: right under the
    headers, in a preamble and an epilogue, before a blank line, a lone CR, a stray boundary."""
    rng = random.Random(seed)
    eol = rng.choice([b"\r\n", b"\n"])
    run = _b64(rng.randbytes(rng.choice([1600, 3000, 9000])), width=rng.choice([60, 76]), eol=eol)
    flaw = rng.choice([b"", b"\r", eol, b"--b" + eol, b"=" + eol, b" x" + eol, b"--b--" + eol])
    cut = rng.randrange(len(run))
    flawed = run[:cut] + flaw + run[cut:]
    head = b"From: a@warga.test" + eol + b"Subject: s" + eol
    multipart = b"Content-Type: multipart/mixed; boundary=b" + eol + eol
    part = b"Content-Type: application/pdf" + eol + b"Content-Transfer-Encoding: base64" + eol
    return rng.choice(
        [
            head + flawed,
            head + eol + flawed,
            head + multipart + flawed + b"--b" + eol + part + eol + flawed + b"--b--" + eol,
            head + multipart + b"--b" + eol + part + flawed + b"--b--" + eol + flawed,
            head + multipart + b"--b" + eol + b"Content-Type: message/rfc822" + eol + eol
            + flawed + b"--b--" + eol,
            head + b"Content-Type: message/delivery-status" + eol + eol + flawed + eol + flawed,
            b"From x@y" + eol + flawed + head,
        ]
    )  # fmt: skip


def test_stood_in_runs_give_the_parsers_own_tree() -> None:
    mails = [_with_runs(seed) for seed in range(400)] + list(_generated(400))
    # runs cut by blank lines, and lines that only look like the start of a run
    mails += [b"Subject: s\n\n" + (b"QUJD" * 15 + b"\n" * n) * 3000 for n in (1, 2, 3)]
    mails += [b"Subject: s\r\n\r\n" + (b"QUJD" * 15 + b"\r\n\r\n" + b"x" * 50) * 3000]
    stood_in = 0
    for raw in mails:
        stood_in += bool(runs_stood_in(raw)[1])
        assert _tree(read_message(raw)[0]) == _tree(message_from_bytes(raw, policy=LENIENT))
    assert stood_in > 300


_PIECES = ["Warga", "123", "Siti Aminah", "a.b", "a..b", "-", "_x", "+", '"Q, R"', "(c)",
           "=?utf-8?q?S=C3=A9?=", "\u00e9", "\udce9", "\xa0", "\t", "  ", " ", ",", ", ", ";", ":",
           "<", ">", "@", "x@y.test", "<x@y.test>", "a+b@c-d.test", "x@[1.2.3.4]", "x@y", "x@y.",
           ".x@y", "=?", "?=", "\x0b", "\x1c", "undisclosed-recipients:;", "x@y.test (z)", "\\",
           "x"]  # fmt: skip
_HEADERS = ("From", "To", "Cc", "Sender", "Delivered-To", "Subject", "Precedence", "Auto-Submitted")


def _header_value(rng: random.Random) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 6)))


def _address_list(rng: random.Random) -> str:
    """A list of mostly plain mailboxes, with now and then something the shortcut must not take."""
    words = ["Warga", "12", "Budi_S", "Siti-A", "x", "\u00c9lise", '"Q"', "a.b", "(c)", ""]
    specs = ["w1@warga.test", "a.b+c@d-e.f.test", "x@y", "x..y@z.test", "x@y..z", "x@-y.test",
             "x@y.test.", "a_b@x.test", "X@Y.TEST", "x@[1.2.3.4]", "x @y.test",
             "x@y.test "]  # fmt: skip
    mailboxes = []
    for _ in range(rng.randint(1, 3)):
        spec = rng.choice(specs[:4] * 3 + specs)
        name = " ".join(rng.choice(words[:4] * 3 + words) for _ in range(rng.randint(0, 3)))
        gap = rng.choice([" ", " ", " ", "", "  ", "\t"])
        mailboxes.append(rng.choice([f"{name}{gap}<{spec}>", spec, f"<{spec}>"]))
    return rng.choice([",", ", ", ", ", " ,", ",  ", ";"]).join(mailboxes)


def test_header_shortcuts_read_headers_as_the_parser_does() -> None:
    rng = random.Random(5)
    values = [_header_value(rng) for _ in range(4000)] + [_address_list(rng) for _ in range(3000)]
    # longer than MAX_PARSED_HEADER_CHARS: not parsed, the addresses found by a regex
    values += [
        ", ".join(f"Warga {i} <{'w' * 70}{i}@warga.test>" for i in range(n)) for n in (90, 200)
    ]
    simple = plain = 0
    for value in values:
        name = rng.choice(_HEADERS)
        simple += _simple_addresses(name, value) is not None
        plain += _plain_unstructured(name, value)
        msg = Message()
        msg._headers.append((name, value))  # as the parser stores it, unchecked
        assert addresses(msg, name) == mime_before.addresses(msg, name), (name, value)
        assert header_text(msg, name) == mime_before.header_text(msg, name), (name, value)
    assert simple > 300 and plain > 1000
