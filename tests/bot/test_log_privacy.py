"""Log lines never carry a secret or a payload, whatever logger wrote them (log_filter)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from app.logs import configure_logging, level_from
from app.settings import load_settings
from bot.privacy.log_filter import (
    install_record_factory,
    register_payload_loggers,
    register_secret,
    register_settings_secrets,
    scrub,
)
from channels import email, telegram

TOKEN = "7012345678:AAH3xK9vQ2mZpL8rT5wYbN4cJ6dF1gE0sUo"


@pytest.fixture
def isolated_logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger that does not propagate and has its own plain handler (as libraries do)."""
    install_record_factory()
    stream = io.StringIO()
    logger = logging.getLogger("loket.test.isolated")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.DEBUG)
    yield logger, stream
    logger.handlers = []


def test_settings_secrets_and_the_database_password_are_masked() -> None:
    settings = load_settings(
        telegram_bot_token="123:short-but-configured",
        smtp_password="smtp-pass-9f8e",
        imap_password="imap-pass-7d6c",
        reply_secret="reply-secret-5b4a",
        telegram_webhook_secret="hook-secret-3c2b",
        database_url="postgresql://loket:db-pass-1a0z@127.0.0.1/loket",
    )
    register_settings_secrets(settings)
    line = (
        "token 123:short-but-configured smtp smtp-pass-9f8e imap imap-pass-7d6c "
        "reply reply-secret-5b4a hook hook-secret-3c2b db db-pass-1a0z"
    )
    out = scrub(line)
    for secret in ("short-but-configured", "smtp-pass", "imap-pass", "reply-secret", "hook-secret",
                   "db-pass"):  # fmt: skip
        assert secret not in out, out
    assert out.count("***") == 6


@pytest.mark.parametrize(
    ("line", "hidden"),
    [
        (f"POST https://api.telegram.org/bot{TOKEN}/getUpdates", TOKEN),
        ("Authorization: Bearer EAAGm0PX4ZCpsBAKZC9q8ZBqv1ZBl2rZCsQ", "EAAGm0PX4ZCps"),
        ("graph call access_token=EAAGm0PX4ZCpsBAKZC9q8ZBqv1ZBl2rZCsQ&x=1", "EAAGm0PX4"),
        ("connect postgresql://loket:hunter2@db.local/loket", "hunter2"),
        ('{"password": "s3cr3t!", "user": "ppid"}', "s3cr3t!"),
        ("whatsapp_app_secret=abcdef0123456789", "abcdef0123456789"),
        ("Sending : b'A001 LOGIN ppid@kota.go.id kata-sandi'", "kata-sandi"),
    ],
)
def test_secret_shapes_are_masked_even_when_not_configured(line: str, hidden: str) -> None:
    assert hidden not in scrub(line)


@pytest.mark.parametrize(
    "line",
    [
        "b'A1 OK Pre-login capabilities listed, post-login capabilities have more.'",
        "b'* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS AUTH=LOGIN'",
        "tokens refreshed; password policy unchanged",
    ],
)
def test_words_near_login_or_password_are_not_masked(line: str) -> None:
    assert scrub(line) == line


def test_a_key_whose_word_is_a_registered_secret_still_has_its_value_masked() -> None:
    register_secret("secret")  # e.g. a test mailbox's password
    out = scrub("whatsapp_app_secret=abcdef0123456789 and {'secret': 'zyxwvu98'}")
    assert "abcdef0123456789" not in out and "zyxwvu98" not in out


def test_a_short_value_is_not_treated_as_a_secret() -> None:
    register_secret("abc")
    register_secret(SecretStr(""))
    assert scrub("abc def") == "abc def"


def test_a_library_logger_with_its_own_handler_is_masked_too(
    isolated_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = isolated_logger
    register_secret("configured-reply-secret")
    logger.debug("nik %s key %s", "3171014501900001", "configured-reply-secret")
    assert stream.getvalue() == "DEBUG loket.test.isolated nik 3171********0001 key ***\n"


def test_payload_arguments_of_library_loggers_become_shapes() -> None:
    install_record_factory()
    register_payload_loggers(telegram.LIBRARY_LOGGERS)
    stream = io.StringIO()
    logger = logging.getLogger("telegram.ext.ExtBot")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    old_level, logger.level = logger.level, logging.DEBUG
    try:
        data = {"chat_id": 42, "text": "Alamat saya Jl. Merdeka No. 1, Gambir"}
        logger.debug("Calling Bot API endpoint `%s` with parameters `%s`", "sendMessage", data)
        logger.debug("Webhook received data: %s", '{"message": {"text": "Jl. Merdeka"}}\n' * 3)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    out = stream.getvalue()
    assert (
        "Calling Bot API endpoint `sendMessage` with parameters `{chat_id=42, text=<37 chars>}`"
        in out
    )
    assert "Webhook received data: <" in out
    assert "Merdeka" not in out


def test_a_preformatted_payload_line_is_cut_at_its_first_line_break() -> None:
    install_record_factory()
    register_payload_loggers(email.LIBRARY_LOGGERS)
    stream = io.StringIO()
    logger = logging.getLogger("aioimaplib.aioimaplib")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    old_level, logger.level = logger.level, logging.DEBUG
    try:
        raw = b"* 1 FETCH (UID 7 RFC822 {120}\r\nFrom: Siti <siti@example.id>\r\nJl. Merdeka 1"
        logger.debug("Received : %s" % raw)  # noqa: UP031 - aioimaplib formats it so
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    out = stream.getvalue()
    assert out.startswith("Received : b'* 1 FETCH (UID 7 RFC822 {120} … (")
    assert "siti" not in out and "Merdeka" not in out


@pytest.mark.parametrize(
    ("value", "level"),
    [("debug", logging.DEBUG), ("WARNING", logging.WARNING), ("", logging.INFO), ("x", 20)],
)
def test_log_level_values(value: str, level: int) -> None:
    assert level_from(value) == level


def test_log_level_setting_is_validated() -> None:
    assert load_settings(log_level="debug").log_level == "DEBUG"
    with pytest.raises(Exception, match="LOG_LEVEL"):
        load_settings(log_level="LOUD")


def test_configure_logging_keeps_sql_quiet_and_httpx_quiet_unless_debug() -> None:
    root = logging.getLogger()
    before = root.level
    try:
        configure_logging("DEBUG", settings=load_settings())
        assert root.level == logging.DEBUG
        assert logging.getLogger("sqlalchemy").level == logging.WARNING
        assert logging.getLogger("httpx").level == logging.DEBUG
        configure_logging("INFO", settings=load_settings())
        assert logging.getLogger("httpx").level == logging.WARNING
        handlers = [h for h in root.handlers if type(h).__name__ == "_StderrHandler"]
        assert len(handlers) == 1  # configured twice, one handler
    finally:
        root.setLevel(before)
