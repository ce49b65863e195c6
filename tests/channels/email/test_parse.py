"""Parsing real-world mail: every corpus file, charsets, HTML, attachments, reports."""

from __future__ import annotations

import pytest

from channels.email.parse import decode_text, parse_mail
from tests.support.emails import CORPUS, corpus_files, make_email


def corpus(name: str):  # type: ignore[no-untyped-def]
    """The parsed corpus file `name` (without its source prefix)."""
    (path,) = [p for p in corpus_files() if p.name.split("__", 1)[1] == f"{name}.eml"]
    return parse_mail(path.read_bytes())


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_every_corpus_file_parses(path) -> None:  # type: ignore[no-untyped-def]
    parsed = parse_mail(path.read_bytes())
    assert "\ufffd" not in parsed.subject or path.name.startswith("alaveteli__malformed-encoded")
    assert all(a.filename and "/" not in a.filename for a in parsed.attachments)


def test_corpus_is_read_in_place() -> None:
    assert CORPUS.name == "emails" and len(corpus_files()) >= 40


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        (b"caf\xc3\xa9", None, "café"),  # undeclared UTF-8
        (b"caf\xe9", "", "café"),  # empty label: windows-1252
        (b"caf\xe9", "x-unknown-charset", "café"),  # unknown label
        (b"dash \x96 here", "iso-8859-1", "dash – here"),  # mislabelled windows-1252
        (b"caf\xc3\xa9", "us-ascii", "café"),  # UTF-8 under an ASCII label
        (b"+AKM-12", "unicode-1-1-utf-7", "£12"),  # UTF-7 (Exchange DSNs)
        (b"~{PB~}", "hz-gb-2312", "新"),
        (b"\xb0\xa1", "euc-kr", "가"),
    ],
)
def test_charset_fallbacks(data: bytes, charset: str | None, expected: str) -> None:
    assert decode_text(data, charset) == expected


def test_mislabelled_and_unlabelled_bodies() -> None:
    assert "NEXT – REQUEST" in corpus("charset-mislabelled-iso8859-1-mbox-from-line").text
    assert corpus("malformed-no-headers-only-content-type").text.endswith("unicode…")
    assert "Governance\xa0Unit" in corpus("charset-iso8859-1-nbsp-under-7bit-cte").text
    assert "Превел" in corpus("charset-utf8-8bit-body").text
    assert "하나님" in corpus("charset-partially-encoded-subject-euc-kr-body").text
    bounce = corpus("bounce-dsn-exchange-utf7-charset")
    assert "Delivery Status Notification" in bounce.text


def test_encoded_and_raw_headers() -> None:
    assert corpus("charset-hz-gb-2312-unknown-codec").subject.startswith("向先生")
    assert corpus("malformed-raw-8bit-byte-in-subject").subject.endswith("Exchange…")
    assert corpus("charset-partially-encoded-subject-euc-kr-body").subject == (
        'Re: Test: "漢字" mid "漢字" tail'
    )
    sender = corpus("header-encoded-word-with-comma-in-from")
    assert (sender.sender_name, sender.sender) == ("Foo, Bar", "foo.bar@example.com")
    latin = corpus("malformed-raw-latin1-in-from-display-name")
    assert latin.sender_name == "Ingo Lütkebohle"
    assert corpus("malformed-no-headers-only-content-type").sender is None


def test_html_only_mail_becomes_readable_text() -> None:
    links = corpus("html-only-iso8859-1-long-links")
    assert "<" not in links.text.replace("<http", "") and "longurlmaker.com" in links.text
    broken = corpus("malformed-missing-close-boundary-html-only")
    assert broken.text.startswith("This is an acknowledgement of your email")


@pytest.mark.parametrize(
    "name",
    [
        "reply-apple-mail-on-at-wrote",
        "reply-hotmail-quoted-headers",
        "reply-outlook-from-sent-header-quote-iso8859-1",
        "reply-yahoo-original-message-divider",
    ],
)
def test_quoted_replies_are_separated(name: str) -> None:
    parsed = corpus(name)
    assert parsed.text == "Hello" and parsed.quoted


def test_lotus_notes_quote_block_is_separated() -> None:
    parsed = corpus("reply-lotus-notes-iso8859-1-qp")
    assert parsed.text.endswith("FOI Team") and "Original text" in parsed.quoted


def test_attachment_names_are_decoded() -> None:
    assert [a.filename for a in corpus("attachment-duplicate-filenames").attachments] == [
        "hello-world.txt",
        "hello-world.txt",
    ]
    names = [a.filename for a in corpus("attachment-percent-escaped-latin1-filename-bad-base64")
             .attachments]  # fmt: skip
    assert names == ["RV £12000 or more.xls", "other.xls"]
    (rfc2231,) = corpus("forward-gmail-fwd-rfc2231-filename").attachments
    assert rfc2231.filename.startswith("01 Quien Te Dij") and rfc2231.filename.endswith(".mp3")
    (forwarded,) = corpus("forward-as-attachment-message-rfc822").attachments
    assert (forwarded.filename, forwarded.content_type) == ("thanks.eml", "message/rfc822")
    assert b"Subject:" in forwarded.data
    (gbk,) = corpus("attachment-only-raw-gbk-filename").attachments
    assert gbk.filename.endswith(".txt") and gbk.data


def test_rfc2047_attachment_name_and_indonesian_body() -> None:
    raw = make_email(
        body="Terlampir KTP saya.",
        attachments=[("KTP Budi Santoso – scan.pdf", b"%PDF")],
    )
    parsed = parse_mail(raw)
    assert parsed.text == "Terlampir KTP saya."
    assert [a.filename for a in parsed.attachments] == ["KTP Budi Santoso – scan.pdf"]


def test_delivery_reports() -> None:
    aol = corpus("bounce-dsn-postfix-aol-mailbox-full").report
    assert aol.failed == ("user@aol.com",) and aol.permanent and "MAILBOX FULL" in aol.reason
    assert aol.message_ids == ("4E326A95.3010907@example.com",)
    exim = corpus("bounce-exim-plaintext").report
    assert exim.failed == ("user@example.com",) and exim.permanent and exim.message_ids
    (path,) = [p for p in corpus_files() if p.name.endswith("bounce-exim-plaintext.eml")]
    prose_only = path.read_bytes().replace(b"X-Failed-Recipients: user@example.com\n", b"")
    assert parse_mail(prose_only).report.failed == ("user@example.com",)  # from the text
    delayed = corpus("bounce-dsn-sendmail-warning-timeout").report
    assert delayed.failed == () and not delayed.permanent


def test_threading_headers() -> None:
    parsed = parse_mail(
        make_email(
            to="PPID <ppid+ppid_2026_000001.abc@pemda.test>",
            in_reply_to="<a@x>",
            references="<root@x> <a@x>",
            message_id="<me@warga.test>",
        )
    )
    assert parsed.message_id == "me@warga.test"
    assert (parsed.in_reply_to, parsed.references) == ("a@x", ("root@x", "a@x"))
    assert parsed.recipients == ("ppid+ppid_2026_000001.abc@pemda.test",)
