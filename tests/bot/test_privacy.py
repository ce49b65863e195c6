"""Masking personal data in outputs and logs (UU 27/2022; UU KIP Pasal 17 h)."""

from __future__ import annotations

import io
import logging

import pytest

from bot.privacy.log_filter import RedactingFilter, install_log_redaction
from bot.privacy.masking import (
    mask_email,
    mask_name,
    mask_nik,
    mask_phone,
    redact,
    redact_data,
)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("3171014501900001", "3171********0001"),
        (" 3171014501900001 ", "3171********0001"),
        ("12345", "*****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_nik(raw: str | None, masked: str) -> None:
    assert mask_nik(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("+6281234567890", "+62812*****890"),
        ("081234567890", "0812*****890"),
        ("0812-3456-7890", "0812*****890"),
        ("6281234567890", "62812*****890"),
        ("+442079460958", "+442******958"),
        ("0213456789", "**********"),  # too short to show anything and hide enough
        ("12345", "*****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(raw: str | None, masked: str) -> None:
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("budi.santoso@example.com", "b***@example.com"),
        ("a@b.id", "a***@b.id"),
        ("not-an-email", "************"),
        (None, ""),
    ],
)
def test_mask_email(raw: str | None, masked: str) -> None:
    assert mask_email(raw) == masked


def test_mask_name() -> None:
    assert mask_name("Budi  Santoso") == "B. S."
    assert mask_name(None) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NIK saya 3171014501900001.", "NIK saya 3171********0001."),
        ("NIK 3171 0145 0190 0001 ya", "NIK 3171********0001 ya"),
        ("NIK 3171-01-450190-0001", "NIK 3171********0001"),
        ("hp 0812-3456-7890, wa +62 812 3456 7890", "hp 0812*****890, wa +62812*****890"),
        ("telp (021) 3456789", "telp **********"),
        ("email Budi.Santoso@Example.com", "email B***@Example.com"),
        # Not personal data: references, dates, times, amounts, long numbers stay as written.
        ("PPID/2026/000123 tgl 2026-01-05 08:00", "PPID/2026/000123 tgl 2026-01-05 08:00"),
        ("biaya Rp 1.050.000.000", "biaya Rp 1.050.000.000"),
        ("order 1234567890123456789", "order 1234567890123456789"),
    ],
)
def test_redact_free_text(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_data_walks_nested_values() -> None:
    data = {"reason": "hubungi 081234567890", "n": 3, "list": ["3171014501900001", None]}
    assert redact_data(data) == {
        "reason": "hubungi 0812*****890",
        "n": 3,
        "list": ["3171********0001", None],
    }


@pytest.fixture
def logged() -> tuple[logging.Logger, io.StringIO]:
    """A private logger writing to a buffer through a handler with the redacting filter."""
    stream = io.StringIO()
    logger = logging.getLogger("loket.test.privacy")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.handlers = [handler]
    install_log_redaction(logger)
    install_log_redaction(logger)  # twice: still one filter
    assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    return logger, stream


def test_log_lines_come_out_masked(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    logger.info("new request from %s (NIK %s, email %s)", "081234567890", "3171014501900001",
                "siti@example.id")  # fmt: skip
    assert stream.getvalue() == (
        "INFO new request from 0812*****890 (NIK 3171********0001, email s***@example.id)\n"
    )


def test_tracebacks_come_out_masked(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    try:
        raise ValueError("bad NIK 3171014501900001 from +6281234567890")
    except ValueError:
        logger.exception("failed")
    out = stream.getvalue()
    assert "ValueError: bad NIK 3171********0001 from +62812*****890" in out
    assert "3171014501900001" not in out and "6281234567890" not in out


def test_filter_survives_a_bad_format_string(logged: tuple[logging.Logger, io.StringIO]) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d", ("nope",), None)
    assert RedactingFilter().filter(record) is True
