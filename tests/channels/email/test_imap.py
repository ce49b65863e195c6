"""The IMAP wrapper against a real Dovecot: security modes, typed errors, peeking fetches,
marking, moving, and IDLE."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from channels.email import imap_utf7
from channels.email.errors import ConnectionFailed, InvalidAuth, InvalidFolder
from channels.email.imap import ImapSession, quote_mailbox
from channels.email.mailboxes import MailboxConfig
from store.enums import CaseKind
from tests.support.dovecot import DovecotServer
from tests.support.emails import make_email
from tests.support.network import free_port


def config(dovecot: DovecotServer, folder: str, **changes: Any) -> MailboxConfig:
    """The test mailbox over plain IMAP, with `changes`."""
    fields: dict[str, Any] = {
        "name": "env",
        "host": "127.0.0.1",
        "port": dovecot.port,
        "security": "none",
        "username": dovecot.user,
        "password": dovecot.password,
        "folder": folder,
        "processed_folder": "",
        "case_kind": CaseKind.INFORMATION_REQUEST,
    }
    return MailboxConfig(**{**fields, **changes})


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
async def test_each_security_mode(dovecot: DovecotServer, folder: str, security: str) -> None:
    port = dovecot.ssl_port if security == "ssl" else dovecot.port
    imap = await ImapSession.connect(config(dovecot, folder, security=security, port=port),
                                     dovecot.ca_file)  # fmt: skip
    try:
        assert imap.uidvalidity > 0 and imap.has_idle
    finally:
        await imap.close()


async def test_typed_errors(dovecot: DovecotServer, folder: str) -> None:
    with pytest.raises(InvalidAuth):
        await ImapSession.connect(config(dovecot, folder, password="salah"))
    with pytest.raises(InvalidFolder):
        await ImapSession.connect(config(dovecot, "Tidak Ada"))
    with pytest.raises(ConnectionFailed):
        await ImapSession.connect(config(dovecot, folder, port=free_port()))
    with pytest.raises(ConnectionFailed):  # TLS to a server whose CA we do not trust
        await ImapSession.connect(config(dovecot, folder, security="ssl", port=dovecot.ssl_port))


async def test_fetch_peeks_and_marking_sets_seen(dovecot: DovecotServer, folder: str) -> None:
    raw = make_email()
    uid = dovecot.append(folder, raw)
    imap = await ImapSession.connect(config(dovecot, folder))
    try:
        fetched = await imap.fetch(uid)
        assert fetched is not None and fetched.raw.replace(b"\r\n", b"\n") == raw.replace(
            b"\r\n", b"\n"
        )
        assert fetched.internaldate is not None
        assert "\\Seen" not in dovecot.flags(folder)[uid]
        await imap.mark_processed(uid)
        assert "\\Seen" in dovecot.flags(folder)[uid]
        assert await imap.fetch(uid + 100) is None
    finally:
        await imap.close()


async def test_new_uids(dovecot: DovecotServer, folder: str) -> None:
    first = dovecot.append(folder, make_email(message_id="<a@x>"))
    opened = dovecot.append(folder, make_email(message_id="<b@x>"), seen=True)
    imap = await ImapSession.connect(config(dovecot, folder))
    try:
        assert await imap.new_uids(0, everything=False) == [first, opened]
        assert await imap.new_uids(first, everything=False) == [first, opened]  # unseen stays
        await imap.mark_processed(first)
        # mail a person already opened is still new to us when above the last one recorded
        assert await imap.new_uids(first, everything=False) == [opened]
        assert await imap.new_uids(opened, everything=False) == []
        assert await imap.new_uids(opened, everything=True) == [first, opened]
    finally:
        await imap.close()


async def test_move_to_processed_folder(dovecot: DovecotServer, folder: str) -> None:
    uid = dovecot.append(folder, make_email())
    done = f"{folder} Selesai"
    imap = await ImapSession.connect(config(dovecot, folder, processed_folder=done))
    try:
        await imap.mark_processed(uid)
    finally:
        await imap.close()
    assert dovecot.count(folder) == 0 and dovecot.count(quote_mailbox(done)) == 1


async def test_idle_wakes_on_new_mail(dovecot: DovecotServer, folder: str) -> None:
    imap = await ImapSession.connect(config(dovecot, folder))
    try:
        started = time.monotonic()
        waiting = asyncio.create_task(imap.wait_for_mail(30))
        await asyncio.sleep(0.2)
        await asyncio.to_thread(dovecot.append, folder, make_email())
        await asyncio.wait_for(waiting, 10)
        assert time.monotonic() - started < 10  # woken by the push, not by the timeout
        assert await imap.new_uids(0, everything=False) == [1]  # the connection is usable
    finally:
        await imap.close()


async def test_lost_connection_surfaces_as_connection_failed(
    dovecot: DovecotServer, folder: str
) -> None:
    imap = await ImapSession.connect(config(dovecot, folder))
    imap.client.protocol.transport.close()
    await asyncio.sleep(0.1)
    with pytest.raises(ConnectionFailed):
        await imap.new_uids(0, everything=False)
    await imap.close()


@pytest.mark.parametrize(
    ("inbox", "done"),
    [("Архив", "Sudah Diproses.Pengaduan Warga é"), ("Pengaduan & Saran ☺", "Архив.Готово")],
)
async def test_non_ascii_folders_travel_in_modified_utf7(
    dovecot: DovecotServer, folder: str, inbox: str, done: str
) -> None:
    # Dovecot with maildir++ separates levels with ".": "/" is refused in names
    inbox, done = f"{folder} {inbox}", f"{folder} {done}"
    with dovecot.client() as stdlib:  # the stdlib client sends names as given: encode them
        assert stdlib.create(quote_mailbox(inbox))[0] == "OK"
    uids = [dovecot.append(quote_mailbox(inbox), make_email()) for _ in range(2)]
    imap = await ImapSession.connect(config(dovecot, inbox, processed_folder=done))
    try:  # SELECT and CREATE above, then MOVE; then COPY as on a server without MOVE
        await imap.mark_processed(uids[0])
        imap.client.protocol.capabilities.discard("MOVE")
        await imap.mark_processed(uids[1])
    finally:
        await imap.close()
    assert dovecot.count(quote_mailbox(inbox)) == 0 and dovecot.count(quote_mailbox(done)) == 2
    with dovecot.client() as stdlib:
        _, listed = stdlib.list(quote_mailbox(f"{folder} *"))
    # each line: (flags) "delimiter" name
    names = {imap_utf7.decode(bytes(line).split(b" ", 2)[2].decode().strip('"')) for line in listed}
    assert {inbox, done} <= names


async def test_a_folder_configured_already_encoded_is_not_encoded_twice(
    dovecot: DovecotServer, folder: str
) -> None:
    inbox = f"{folder} Архив"
    with dovecot.client() as stdlib:
        stdlib.create(quote_mailbox(inbox))
    imap = await ImapSession.connect(config(dovecot, imap_utf7.encode(inbox)))
    await imap.close()


async def test_copy_fallback_never_deletes_what_it_did_not_copy(
    dovecot: DovecotServer, folder: str
) -> None:
    done = f"{folder} Selesai"
    kept = [dovecot.append(folder, make_email()) for _ in range(2)]
    imap = await ImapSession.connect(config(dovecot, folder, processed_folder=done))
    try:
        imap.client.protocol.capabilities.discard("MOVE")
        with pytest.raises(ConnectionFailed):
            await imap.mark_processed(max(kept) + 1)  # a UID this session does not know
        await imap.mark_processed(kept[0])  # the UIDPLUS path expunges only this one
    finally:
        await imap.close()
    assert dovecot.count(folder) == 1 and dovecot.count(quote_mailbox(done)) == 1
