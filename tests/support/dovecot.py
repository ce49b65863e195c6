"""A real Dovecot IMAP server on loopback (tech-notes.md §4), with TLS from a test CA.

One server per test session (session-scoped, sync fixture); tests isolate themselves by
working in a folder of their own. Port `port` speaks plain IMAP and offers STARTTLS; `ssl_port`
is implicit TLS. The stdlib `imaplib` client (sync) prepares and inspects mailboxes.
"""

from __future__ import annotations

import grp
import imaplib
import itertools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from tests.support.network import free_port, wait_port

USER, PASSWORD = "bot@example.test", "secret"
_folders = itertools.count(1)

CONFIG = """\
base_dir = {d}/run
state_dir = {d}/state
instance_name = dovecot-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login
log_path = {d}/dovecot.log
mail_location = maildir:{d}/mail/%u/Maildir
mail_fsync = never
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={internal} gid={internal_group} home={d}/mail/%u
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
  }}
}}
service stats {{
  unix_listener stats-reader {{
    user = {internal}
  }}
  unix_listener stats-writer {{
    user = {internal}
  }}
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
"""


@dataclass
class DovecotServer:
    """Where the test Dovecot listens, the CA that signed its certificate, and helpers."""

    port: int
    ssl_port: int
    ca_file: Path
    root: Path
    user: str = USER
    password: str = PASSWORD

    def client(self) -> imaplib.IMAP4:
        """A logged-in stdlib client (plain IMAP on loopback)."""
        imap = imaplib.IMAP4("127.0.0.1", self.port)
        imap.login(self.user, self.password)
        return imap

    def new_folder(self, prefix: str = "t") -> str:
        """Create and return a folder no other test uses."""
        name = f"{prefix}{next(_folders)}x{os.getpid()}"
        with self._session() as imap:
            imap.create(name)
        return name

    def append(self, folder: str, raw: bytes, seen: bool = False) -> int:
        """Store one message (line ends made CRLF, as IMAP requires); return its UID."""
        data = re.sub(rb"\r?\n", b"\r\n", raw)
        with self._session() as imap:
            typ, answer = imap.append(folder, r"(\Seen)" if seen else "", None, data)
            assert typ == "OK", answer
            found = re.search(rb"APPENDUID \d+ (\d+)", answer[0] or b"")
            return int(found.group(1)) if found else 0

    def mail_owner(self) -> tuple[int, int] | None:
        """(uid, gid) a file delivered into the Maildir must have, None when it is ours."""
        if os.geteuid() != 0:
            return None
        found = (self.root / "mail").stat()
        return found.st_uid, found.st_gid

    def flags(self, folder: str) -> dict[int, str]:
        """UID -> FLAGS of every message in `folder`."""
        with self._session() as imap:
            imap.select(folder)
            _, data = imap.uid("FETCH", "1:*", "(UID FLAGS)")
            found: dict[int, str] = {}
            for item in data:
                text = item.decode() if isinstance(item, bytes) else ""
                match = re.search(r"UID (\d+) FLAGS \(([^)]*)\)", text)
                if match:
                    found[int(match.group(1))] = match.group(2)
            return found

    def renew(self, folder: str) -> None:
        """Replace `folder` by a new, empty one of the same name: a new UIDVALIDITY, as after a
        server migration (the old one is renamed aside)."""
        with self._session() as imap:
            imap.rename(folder, f"{folder}-old{next(_folders)}")
            imap.create(folder)

    def count(self, folder: str) -> int:
        """How many messages `folder` holds."""
        with self._session() as imap:
            _, data = imap.select(folder)
            return int(data[0] or 0)

    @contextmanager
    def _session(self) -> Iterator[imaplib.IMAP4]:
        imap = self.client()
        try:
            yield imap
        finally:
            imap.logout()


@contextmanager
def dovecot_server() -> Iterator[DovecotServer]:
    """Start a throwaway Dovecot in the foreground; stop it and delete its files afterwards."""
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    root.chmod(0o755)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    if os.geteuid() == 0:  # Dovecot refuses root for mail and login processes
        shutil.chown(root / "mail", "dovecot", "dovecot")
        internal, internal_group, login = "dovecot", "dovecot", "dovenull"
    else:  # unprivileged: every Dovecot process runs as the current user (tech-notes §4)
        internal = login = pwd.getpwuid(os.getuid()).pw_name
        internal_group = grp.getgrgid(os.getgid()).gr_name
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(str(root / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port, ssl_port = free_port(), free_port()
    (root / "dovecot.conf").write_text(
        CONFIG.format(
            d=root,
            port=port,
            ssl_port=ssl_port,
            internal=internal,
            internal_group=internal_group,
            login=login,
        )
    )
    proc = subprocess.Popen(
        ["dovecot", "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        wait_port(ssl_port)
        yield DovecotServer(port=port, ssl_port=ssl_port, ca_file=root / "ca.pem", root=root)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """One Dovecot for the whole test session."""
    if shutil.which("dovecot") is None:
        raise RuntimeError("dovecot not installed; scripts/test.sh installs dovecot-imapd")
    with dovecot_server() as server:
        yield server
