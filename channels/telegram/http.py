"""The bot's HTTP client: python-telegram-bot's requests sent with aiohttp instead of httpx.

PTB's default `HTTPXRequest` spends ~1.6-2.0 ms of CPU on the event loop for each Bot API call
(httpx and httpcore building and reading the request); aiohttp, which already serves Loket's
web routes and the WhatsApp adapter's calls, ~0.23 ms (`send_message` to the Bot API emulator,
20 in flight, docs/benchmarks.md "Bot API calls with aiohttp"). Every answer the dispatcher
sends, every tap's answer and edit and every getUpdates poll runs on the loop the handlers
share, so that CPU was taken from them (the filing p99 did not move visibly with it: see the
same section).

Same contract as `HTTPXRequest` (`telegram.request.BaseRequest`): `do_request` returns the
status and the body, PTB turns the status into its errors; a timeout raises `TimedOut`, any
other transport failure `NetworkError`. aiohttp has no write timeout of its own, and its read
timeout runs from the start of the request, while the body is still going up; so a call with a
file waits for its answer up to its write timeout plus its read timeout (20 + 5 s by default,
as HTTPXRequest's media write timeout), and a receipt or report PDF sent over a slow uplink is
not cut off after 5 s.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULT_CONNECT_TIMEOUT = 5.0  # seconds, as HTTPXRequest's defaults
DEFAULT_READ_TIMEOUT = 5.0
DEFAULT_POOL_TIMEOUT = 1.0
DEFAULT_MEDIA_WRITE_TIMEOUT = 20.0  # a call with a file: the time its upload may take
POOL_SIZE = 256  # connections at once: the dispatcher sends to many chats side by side

log = logging.getLogger(__name__)

Timeout = float | None


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one aiohttp session (opened by `initialize`, closed by `shutdown`)."""

    def __init__(
        self,
        pool_size: int = POOL_SIZE,
        *,
        connect_timeout: Timeout = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: Timeout = DEFAULT_READ_TIMEOUT,
        pool_timeout: Timeout = DEFAULT_POOL_TIMEOUT,
    ) -> None:
        self.pool_size = pool_size
        self._connect, self._read, self._pool = connect_timeout, read_timeout, pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when a call gives none."""
        return self._read

    async def initialize(self) -> None:
        """Open the session (idempotent; PTB calls it from `Bot.initialize`)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.pool_size)
            # trust_env: HTTP(S)_PROXY and NO_PROXY are honoured, as httpx did (an office
            # network that reaches Telegram only through its proxy keeps working).
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}, trust_env=True
            )

    async def shutdown(self) -> None:
        """Close the session and its connections (idempotent)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; its status and body. Raises TimedOut or NetworkError when no
        answer came (PTB maps the status to its errors)."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        body = _body(request_data)
        connect = _seconds(connect_timeout, self._connect)
        pool = _seconds(pool_timeout, self._pool)
        read = _seconds(read_timeout, self._read)
        if isinstance(body, aiohttp.FormData) and read is not None:  # its upload counts too
            write = _seconds(write_timeout, DEFAULT_MEDIA_WRITE_TIMEOUT)
            read = None if write is None else write + read
        timeout = aiohttp.ClientTimeout(
            total=None,
            # aiohttp's `connect` is the wait for a pooled connection plus making a new one.
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as answer:
                content = await answer.read()
        except TimeoutError as exc:  # aiohttp's ServerTimeoutError is one too
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        if log.isEnabledFor(logging.DEBUG):  # the URL is parsed only for a line to write
            # One line a call, as httpx wrote, without the path's token: the host and the
            # method (or the file) only.
            where = urlsplit(url)
            endpoint = where.path.rsplit("/", 1)[-1]
            log.debug("HTTP %s %s/.../%s: %d", method, where.netloc, endpoint, answer.status)
        return answer.status, content


def _seconds(given: object, default: Timeout) -> Timeout:
    """A call's timeout: the one given (a number, or None for no limit), else the default."""
    if given is None or isinstance(given, int | float):
        return given
    return default  # BaseRequest.DEFAULT_NONE: the call did not say


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """The form PTB encodes for httpx: its parameters, as multipart with the files if any."""
    if request_data is None:
        return None
    fields, files = request_data.json_parameters, request_data.multipart_data
    if not files:
        return fields
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
