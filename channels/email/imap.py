"""One logged-in IMAP connection with its folder selected, over aioimaplib.

Connecting is separate from reading (as in Home Assistant's IMAP coordinator): `connect`
raises InvalidAuth, InvalidFolder or ConnectionFailed, and every later failure of the
connection surfaces as ConnectionFailed so the caller reconnects after a back-off. Bodies are
fetched with BODY.PEEK[] so nothing is flagged \\Seen until the caller says the mail is safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import ssl
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from aioimaplib import aioimaplib

from channels.email import imap_utf7
from channels.email.errors import ConnectionFailed, InvalidAuth, InvalidFolder
from channels.email.imap_protocol import LeanImap
from channels.email.mailboxes import MailboxConfig

T = TypeVar("T")

COMMAND_TIMEOUT_SECONDS = 60.0
# RFC 2177: servers may drop an IDLE after 30 minutes; renew it well before.
IDLE_RENEW_SECONDS = 25 * 60.0
LOGOUT_TIMEOUT_SECONDS = 5.0
# A response is held whole until its command ends, so commands are cut to keep it bounded.
# (aioimaplib's own reader calls itself once a line and broke on ~1 000 lines: the cut was 200
# until imap_protocol.py read responses in a loop; a batch is now one FETCH.)
MAX_LINES_PER_RESPONSE = 1000
# A FETCH of whole mails answers three lines a mail, a STORE or MOVE one or two: this many
# mails a command.
MAILS_PER_FETCH = MAX_LINES_PER_RESPONSE // 4
MAILS_PER_MARK = MAX_LINES_PER_RESPONSE // 2
_UIDVALIDITY_RE = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_INTERNALDATE_RE = re.compile(rb'INTERNALDATE "([^"]+)"')
_NEEDS_QUOTES_RE = re.compile(r'[\s"\\(){%*\]]')
_UID_RE = re.compile(rb"\bUID (\d+)")
_SIZE_RE = re.compile(rb"\bRFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class FetchedMail:
    """The raw bytes of one message and when the server received it."""

    uid: int
    raw: bytes
    internaldate: dt.datetime | None


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """A verifying client TLS context, also trusting `ca_file` (an internal CA) when given."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def quote_mailbox(name: str) -> str:
    """A folder name as an IMAP astring: in modified UTF-7 (RFC 3501 §5.1.3, see imap_utf7),
    quoted when it has spaces or specials. Every command naming a folder sends this form."""
    wire = imap_utf7.to_wire(name)
    if not _NEEDS_QUOTES_RE.search(wire):
        return wire
    return '"' + wire.replace("\\", "\\\\").replace('"', '\\"') + '"'


def uid_set(uids: Sequence[int]) -> str:
    """UIDs as an IMAP sequence set, runs of consecutive UIDs as ranges ("1:4,7,9:10")."""
    parts: list[str] = []
    ordered = sorted(set(uids))
    start = prev = ordered[0]
    for uid in [*ordered[1:], None]:
        if uid is not None and uid == prev + 1:
            prev = uid
            continue
        parts.append(str(start) if start == prev else f"{start}:{prev}")
        if uid is not None:
            start = prev = uid
    return ",".join(parts)


def _internaldate(line: bytes) -> dt.datetime | None:
    found = _INTERNALDATE_RE.search(line)
    if not found:
        return None
    try:
        return dt.datetime.strptime(found.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None


class ImapSession:
    """A connection to one mailbox, logged in, with its folder selected."""

    def __init__(self, client: aioimaplib.IMAP4, config: MailboxConfig, uidvalidity: int) -> None:
        self.client, self.config, self.uidvalidity = client, config, uidvalidity
        self.lost = False

    @property
    def has_idle(self) -> bool:
        """True when the server offers IDLE (RFC 2177)."""
        return self.client.has_capability("IDLE")

    @classmethod
    async def connect(cls, config: MailboxConfig, ca_file: Path | None = None) -> ImapSession:
        """Connect, secure (implicit TLS or STARTTLS per setting), log in and select the folder."""
        session: ImapSession | None = None

        def lost(_exc: Exception | None) -> None:
            if session is not None:
                session.lost = True
                # wake an IDLE wait at once instead of after its timeout
                session.client.protocol.idle_queue.put_nowait(aioimaplib.STOP_WAIT_SERVER_PUSH)

        context = tls_context(ca_file) if config.security != "none" else None
        try:
            client = LeanImap(
                host=config.host,
                port=config.port,
                timeout=COMMAND_TIMEOUT_SECONDS,
                conn_lost_cb=lost,
                ssl_context=context if config.security == "ssl" else None,
            )
            await client.wait_hello_from_server()
            if config.security == "starttls":
                await _starttls(client, config, context)  # type: ignore[arg-type]
            login = await client.login(config.username, config.password)
        except (OSError, TimeoutError, aioimaplib.AioImapException) as exc:
            raise ConnectionFailed(config.name, type(exc).__name__) from None
        if login.result != "OK":
            await _quietly(client.logout())
            raise InvalidAuth(config.name, _text(login.lines))
        session = cls(client, config, 0)
        session.uidvalidity = await session._select(config.folder)
        if config.processed_folder:
            # CREATE fails harmlessly (NO) when the folder exists already.
            await session._call(client.create(quote_mailbox(config.processed_folder)))
        return session

    async def _select(self, folder: str) -> int:
        response = await self._call(self.client.select(quote_mailbox(folder)))
        if response.result != "OK":
            await self.close()
            raise InvalidFolder(self.config.name, folder)
        for line in response.lines:
            found = _UIDVALIDITY_RE.search(bytes(line))
            if found:
                return int(found.group(1))
        raise ConnectionFailed(self.config.name, "no UIDVALIDITY in SELECT response")

    async def _call(self, command: Awaitable[T]) -> T:
        """Run one IMAP command; any failure of the connection becomes ConnectionFailed."""
        if self.lost:
            if asyncio.iscoroutine(command):
                command.close()  # never sent; close it so it is not reported as un-awaited
            raise ConnectionFailed(self.config.name, "connection lost")
        try:
            return await command
        except (OSError, TimeoutError, aioimaplib.AioImapException) as exc:
            raise ConnectionFailed(self.config.name, type(exc).__name__) from None

    async def _uids(self, *criteria: str) -> set[int]:
        response = await self._call(self.client.uid_search(*criteria, charset=None))
        if response.result != "OK":
            raise ConnectionFailed(self.config.name, f"SEARCH failed: {_text(response.lines)}")
        return {int(n) for line in response.lines[:1] for n in bytes(line).split() if n.isdigit()}

    async def new_uids(self, after_uid: int, everything: bool) -> list[int]:
        """UIDs to look at: all in the folder when processed mail is moved out of it, else
        the unseen ones plus any above `after_uid` (also those someone already opened)."""
        if everything:
            return sorted(await self._uids("ALL"))
        above = {uid for uid in await self._uids("UID", f"{after_uid + 1}:*") if uid > after_uid}
        return sorted(await self._uids("UNSEEN") | above)

    async def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        """UID -> RFC822.SIZE of those of `uids` still in the folder (one command per
        MAX_LINES_PER_RESPONSE UIDs)."""
        found: dict[int, int] = {}
        ordered = sorted(uids)
        for start in range(0, len(ordered), MAX_LINES_PER_RESPONSE):
            which = uid_set(ordered[start : start + MAX_LINES_PER_RESPONSE])
            response = await self._call(self.client.uid("fetch", which, "(UID RFC822.SIZE)"))
            if response.result != "OK":
                raise ConnectionFailed(self.config.name, f"FETCH failed: {_text(response.lines)}")
            for line in response.lines:
                uid, size = _UID_RE.search(bytes(line)), _SIZE_RE.search(bytes(line))
                if uid and size:
                    found[int(uid.group(1))] = int(size.group(1))
        return found

    async def fetch(self, uid: int) -> FetchedMail | None:
        """The message with this UID, without setting \\Seen; None if it has gone."""
        return (await self.fetch_many([uid])).get(uid)

    async def fetch_many(self, uids: Sequence[int]) -> dict[int, FetchedMail]:
        """UID -> message, of those of `uids` still in the folder, without setting \\Seen (one
        UID FETCH per MAILS_PER_FETCH mails)."""
        fetched: dict[int, FetchedMail] = {}
        for start in range(0, len(uids), MAILS_PER_FETCH):
            fetched |= await self._fetch_some(uids[start : start + MAILS_PER_FETCH])
        return fetched

    async def _fetch_some(self, uids: Sequence[int]) -> dict[int, FetchedMail]:
        response = await self._call(
            self.client.uid("fetch", uid_set(uids), "(UID INTERNALDATE BODY.PEEK[])")
        )
        if response.result != "OK":
            raise ConnectionFailed(self.config.name, f"FETCH failed: {_text(response.lines)}")
        fetched: dict[int, FetchedMail] = {}
        wanted = set(uids)
        lines = response.lines
        for i, line in enumerate(lines):
            if not isinstance(line, bytearray) or not i:
                continue
            header = bytes(lines[i - 1])
            after = bytes(lines[i + 1]) if i + 1 < len(lines) else b""
            # The UID comes before the body (Dovecot) or after it (the closing line).
            found = _UID_RE.search(header) or _UID_RE.search(after)
            if found and int(found.group(1)) in wanted:
                uid = int(found.group(1))
                fetched[uid] = FetchedMail(uid, bytes(line), _internaldate(header + after))
        return fetched

    async def mark_processed(self, uid: int | Sequence[int]) -> None:
        """Flag the messages \\Seen, or move them to the processed folder when one is set (one
        command, or one set of commands, per MAILS_PER_MARK mails)."""
        uids = [uid] if isinstance(uid, int) else list(uid)
        for start in range(0, len(uids), MAILS_PER_MARK):
            await self._mark_some(uids[start : start + MAILS_PER_MARK])

    async def _mark_some(self, uids: list[int]) -> None:
        which = uid_set(uids)
        folder = self.config.processed_folder
        if not folder:
            response = await self._call(self.client.uid("store", which, "+FLAGS", r"(\Seen)"))
        elif self.client.has_capability("MOVE"):
            response = await self._call(self.client.uid("move", which, quote_mailbox(folder)))
        else:  # RFC 3501 without MOVE: copy, then delete the original
            response = await self._call(self.client.uid("copy", which, quote_mailbox(folder)))
            uidplus = self.client.has_capability("UIDPLUS")
            # A UID COPY of a UID the server does not know still answers OK (RFC 3501 §6.4.8);
            # with UIDPLUS the COPYUID code proves the copy exists (RFC 4315), so nothing is
            # deleted that was not copied.
            copied = response.result == "OK" and (
                not uidplus or any(b"COPYUID" in bytes(line) for line in response.lines)
            )
            if not copied:
                raise ConnectionFailed(self.config.name, f"could not copy UID {which}")
            await self._call(self.client.uid("store", which, "+FLAGS", r"(\Deleted)"))
            # UID EXPUNGE removes only these, never others flagged \Deleted by people.
            expunge = self.client.uid("expunge", which) if uidplus else self.client.expunge()
            response = await self._call(expunge)
        if response.result != "OK":
            raise ConnectionFailed(self.config.name, f"could not mark UID {which}")

    async def wait_for_mail(self, seconds: float) -> None:
        """Return when new mail may have arrived: on an IDLE push, or after `seconds`."""
        if not self.has_idle:
            await asyncio.sleep(seconds)
            return
        idle = await self._call(self.client.idle_start(timeout=seconds))
        try:
            while not self.lost:
                push = await self._call(self.client.wait_server_push(timeout=seconds + 5))
                if push == aioimaplib.STOP_WAIT_SERVER_PUSH or any(
                    b"EXISTS" in bytes(line) for line in push
                ):
                    break
        finally:
            if not self.lost:
                self.client.idle_done()
                with contextlib.suppress(TimeoutError, aioimaplib.AioImapException, OSError):
                    await asyncio.wait_for(idle, COMMAND_TIMEOUT_SECONDS)

    async def close(self) -> None:
        """Log out, ignoring a connection that is already gone."""
        if not self.lost:
            await _quietly(self.client.logout())


async def _starttls(
    client: aioimaplib.IMAP4, config: MailboxConfig, context: ssl.SSLContext
) -> None:
    """RFC 3501 §6.2.1 STARTTLS; aioimaplib has no helper, so upgrade its transport here."""
    protocol = client.protocol
    if "STARTTLS" not in protocol.capabilities:
        raise ConnectionFailed(config.name, "server offers no STARTTLS")
    command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
    response = await asyncio.wait_for(protocol.execute(command), COMMAND_TIMEOUT_SECONDS)
    if response.result != "OK":
        raise ConnectionFailed(config.name, "STARTTLS refused")
    transport = await asyncio.get_running_loop().start_tls(
        protocol.transport, protocol, context, server_hostname=config.host
    )
    protocol.transport = transport
    await asyncio.wait_for(protocol.capability(), COMMAND_TIMEOUT_SECONDS)  # re-read after TLS


async def _quietly(command: Awaitable[object]) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(command, LOGOUT_TIMEOUT_SECONDS)


def _text(lines: list[bytes]) -> str:
    return " ".join(bytes(line).decode("utf-8", "replace") for line in lines)[:200]
