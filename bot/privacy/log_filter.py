"""Log records without personal data or secrets, whatever logger wrote them and at any level.

Every record is scrubbed once, when it is made (a log-record factory), so every handler —
ours, pytest's, a library's own — only ever sees the masked text; the handler filter catches
records made without the factory (`logging.makeLogRecord`). Scrubbing means:

- the secrets of the running settings (bot tokens, passwords, reply secret, webhook secrets,
  the database password) are replaced by `***`, plus anything shaped like a chat bot token, a
  Meta access token, a password in a URL or a `password=` pair;
- NIKs, phone numbers and email addresses are masked (`bot.privacy.masking.redact`);
- libraries that log whole payloads at DEBUG (a chat library's API calls and webhook bodies,
  mail protocol lines, HTTP traces, SQL parameters) keep their message but their payload
  arguments are reduced to a shape (`{chat_id=…, text=<120 chars>}`): a citizen's address or
  words are not patterns a filter can find, so they are never written.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.privacy.masking import redact

MASK = "***"
# Shorter values are not secrets anyone configured (and masking them would garble logs).
_MIN_SECRET_CHARS = 6

_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # chat bot tokens: 123456789:AA… (also inside /bot<TOKEN>/ URLs)
    (re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{30,}"), MASK),
    # Meta (WhatsApp Cloud API) access tokens
    (re.compile(r"\bEAA[A-Za-z0-9]{20,}"), MASK),
    # user:password@ in URLs (database, mail servers, proxies)
    (re.compile(r"(?<=://)([^/:@\s]+):[^/@\s]+@"), r"\1:" + MASK + "@"),
    # Authorization: Bearer …, password=…, "secret": "…", a mail server's LOGIN user pass
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + MASK),
    (
        re.compile(
            # the key may already read "app_***" when a registered secret is a word of it
            r"(?i)(\b[a-z_]*(?:password|passwd|pwd|secret|token|api_?key)|\*\*\*)"
            r"(['\"]?\s*[:=]\s*['\"]?)[^\s'\",;&}]+"
        ),
        r"\1\2" + MASK,
    ),
    # mail protocol "<tag> LOGIN <user> <password>" (not "Pre-login capabilities listed")
    (re.compile(r"(\b[A-Za-z0-9]+ LOGIN +\S+ +)\S+"), r"\1" + MASK),
)

# Loggers that put whole payloads (message bodies, HTTP traces, SQL parameters) in their
# records at DEBUG; their arguments are reduced to a shape. Each channel adds the loggers of its
# own libraries (`register_payload_loggers`, called by the composition root).
_PAYLOAD_LOGGERS: set[str] = {
    "httpx",
    "httpcore",
    "mail.log",  # aiosmtpd (the sandbox's mail sink)
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "psycopg",
    "aiohttp",
    "tornado",
    "uvicorn",
}


def register_payload_loggers(names: Iterable[str]) -> None:
    """From now on the records of the loggers `names` (and their children) carry no payload."""
    _PAYLOAD_LOGGERS.update(names)


_SHORT_TEXT = 120  # a payload logger's own words (an endpoint name, a URL) are shorter
_LINE_BREAK_RE = re.compile(r"\r|\n|\\r|\\n")

_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | SecretStr | None) -> None:
    """From now on, `value` is written as `***` in every log line of this process."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value and len(value) >= _MIN_SECRET_CHARS:
        with _lock:
            _secrets.add(value)


def register_settings_secrets(settings: Any) -> None:
    """Register every secret the settings hold: each `SecretStr` field, the database password."""
    for name in type(settings).model_fields:
        value = getattr(settings, name, None)
        if isinstance(value, SecretStr):
            register_secret(value)
    with contextlib.suppress(Exception):  # an unparsable URL has no password to hide
        register_secret(make_url(settings.database_url).password)


def mask_secrets(text: str) -> str:
    """`text` with every registered secret and every secret-shaped string replaced by `***`."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub(text: str) -> str:
    """Secrets and personal data masked: what may be written to a log."""
    return redact(mask_secrets(text))


def _shape(value: Any, depth: int = 0) -> str:
    """What a payload looks like without what it says."""
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, str | bytes | bytearray):
        return f"<{len(value)} chars>"
    if isinstance(value, dict):
        if depth:
            return f"{{{len(value)} keys}}"
        return "{" + ", ".join(f"{k}={_shape(v, 1)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        return f"[{len(value)} items]"
    return f"<{type(value).__name__}>"


def _payload_argument(value: Any) -> Any:
    """A payload logger's argument: numbers and short one-line words (an endpoint, a URL)
    stay; bodies, dicts, lists and objects become their shape."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) or type(value).__name__ == "URL":
        text = str(value)
        if len(text) <= _SHORT_TEXT and not _LINE_BREAK_RE.search(text):
            return text
        return _shape(text)
    return _shape(value)


def _is_payload_logger(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in _PAYLOAD_LOGGERS)


def _cut_payload_message(message: str) -> str:
    """A payload logger's preformatted line, up to its first line break and 160 characters."""
    cut = _LINE_BREAK_RE.split(message, maxsplit=1)[0][:160]
    return cut if cut == message else f"{cut} … ({len(message) - len(cut)} chars withheld)"


_formatter = logging.Formatter()


def scrub_record(record: logging.LogRecord) -> None:
    """Rewrite `record` in place with secrets and personal data masked (once per record).

    A traceback is formatted here, once, so that the exception's own message (which may quote
    what a citizen typed) is masked too.
    """
    if getattr(record, "_loket_scrubbed", False):
        return
    record._loket_scrubbed = True
    payload = _is_payload_logger(record.name)
    args = record.args
    if payload and args:
        if isinstance(args, dict):
            record.args = {k: _payload_argument(v) for k, v in args.items()}
        else:
            record.args = tuple(_payload_argument(a) for a in args)
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = f"{record.msg!s} (arguments withheld: they did not fit the message)"
    if payload and not args:
        message = _cut_payload_message(message)
    record.msg, record.args = scrub(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = _formatter.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)


class RedactingFilter(logging.Filter):
    """A logging filter that masks personal data and secrets in every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record (see `scrub_record`); never drops one."""
        scrub_record(record)
        return True


_factory_installed = False


def install_record_factory() -> None:
    """Scrub every record the moment any logger makes it (idempotent)."""
    global _factory_installed
    with _lock:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            scrub_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True


def install_log_redaction(
    logger: logging.Logger | None = None, extra: Iterable[logging.Handler] = ()
) -> None:
    """Attach the redacting filter to every handler of `logger` (the root logger by default)
    and to `extra` handlers; each handler gets it once."""
    target = logger or logging.getLogger()
    for handler in (*target.handlers, *extra):
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
