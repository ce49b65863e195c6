"""Issue #9, hostile email: every failure mode of the parser is contained. `parse_mail` never
raises (a bounded, deterministic hypothesis fuzz over mutated corpus mail), each class of
hostile mail found by fuzzing keeps its sender and subject, and HTML conversion stays linear."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.email.classify import classify
from channels.email.htmltext import MAX_QUOTE_MARKS, html_to_text
from channels.email.parse import MAX_TEXT_CHARS, parse_mail
from channels.email.reader import salvage
from tests.support.emails import INDONESIAN_REQUESTS, corpus_files
from tests.support.mail_fuzz import hostile_variant, load_corpus

CORPUS_MAILS = load_corpus(corpus_files()) + list(INDONESIAN_REQUESTS.values())
HEAD = b"From: Budi Santoso <budi@warga.test>\r\nSubject: Permohonan APBD\r\nMIME-Version: 1.0\r\n"


@settings(
    max_examples=250,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.randoms(use_true_random=False))
def test_parse_mail_never_raises_on_mutated_corpus_mail(rng: random.Random) -> None:
    raw = hostile_variant(CORPUS_MAILS, rng)
    parsed = parse_mail(raw)
    classify(parsed.message)
    assert len(parsed.text) <= MAX_TEXT_CHARS
    assert parsed.sender is None or "@" in parsed.sender
    salvaged = salvage(raw)  # what a quarantined mail shows in the review queue
    assert salvaged.sender is None or "@" in salvaged.sender


def _nested_multipart(depth: int) -> bytes:
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(depth)
    )
    closing = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    return HEAD + opening + b"Content-Type: text/plain\r\n\r\nisi\r\n" + closing


@pytest.mark.parametrize(
    "raw",
    [
        HEAD + b'Content-Type: text/plain; charset="\x00"\r\n\r\nMohon data APBD.',
        HEAD + b'Content-Type: text/plain; charset="x-no-such-charset"\r\n\r\nMohon \xe9.',
        HEAD + b'Content-Type: text/plain; charset="utf-16"\r\n\r\nMohon data.',
        HEAD + b'Content-Type: text/plain; charset="rot13"\r\n\r\nMohon data.',
        HEAD + b"Content-Type: text/plain; name*0*=\x00''x\r\n\r\nMohon data.",
        _nested_multipart(1500),
        HEAD + b"Content-Type: message/rfc822\r\n\r\n" * 1500 + b"\r\nisi",
        HEAD.replace(b"Budi Santoso", b"Budi" + b" (a" * 600) + b"\r\nMohon data.",
        HEAD
        + b"Content-Disposition: attachment; "
        + b"".join(b"filename*%d*=utf-8''%%E2%%82%%AC;" % i for i in range(4000))
        + b"\r\n\r\nMohon data.",
    ],
    ids=[
        "nul-charset",
        "unknown-charset",
        "utf16-no-bom",
        "rot13",
        "nul-rfc2231",
        "deep-multipart",
        "deep-rfc822",
        "address-comments",
        "huge-rfc2231",
    ],
)
def test_each_hostile_class_keeps_sender_and_subject(raw: bytes) -> None:
    parsed = parse_mail(raw)
    assert (parsed.sender, parsed.subject) == ("budi@warga.test", "Permohonan APBD")
    classify(parsed.message)


def test_a_structure_too_deep_to_read_is_named_as_a_problem() -> None:
    parsed = parse_mail(_nested_multipart(1500))
    assert parsed.problems == ("structure",) and parsed.text == ""
    assert parse_mail(INDONESIAN_REQUESTS["lengkap"]).problems == ()


def test_nested_blockquotes_grow_the_text_linearly() -> None:
    # 750 KB of nested <blockquote> once took 5.3 GB: every line repeated every "> " above it.
    html = "<blockquote>x" * 60_000 + "</blockquote>" * 60_000
    text = html_to_text(html)
    assert len(text) <= 2 * len(html)
    assert max(len(line) for line in text.splitlines()) <= 2 * MAX_QUOTE_MARKS + 1


@pytest.mark.parametrize("run", ["<!--", "<a", "<![", "</", "&#"])
def test_markup_the_stdlib_parser_is_quadratic_on_is_read(run: str) -> None:
    assert html_to_text(f"<p>Halo</p>{run * 50_000}").startswith("Halo")
