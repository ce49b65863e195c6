"""The email Sender against a real aiosmtpd server: headers, TLS modes, and which SMTP
answers are permanent (the contact is marked failing) and which are temporary."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from bot.notify.delivery import PermanentFailure, TemporaryFailure
from bot.services import Services
from channels.email.errors import SmtpUnavailable
from channels.email.sender import EmailSender, message_id_for
from channels.email.threads import reference_from_address
from store.models import OutboxMessage
from tests.channels.email.conftest import revalidated
from tests.support.smtp import SmtpSink, smtp_server  # noqa: F401  (fixture)

MAIL_FROM = "ppid@pemda.test"


def row(**payload: Any) -> OutboxMessage:
    """An email outbox row as the core queues it."""
    return OutboxMessage(
        id=7,
        dedup_key="ack:PPID/2026/000001",
        channel="email",
        recipient="siti.aminah@warga.test",
        purpose="acknowledgement",
        subject="[PPID/2026/000001] Tanda terima / Receipt",
        body="Permohonan informasi Anda telah kami terima.\n\n---\n\nWe have received it.",
        payload=payload,
    )


def sender_for(services: Services, port: int, **settings: Any) -> EmailSender:
    """An EmailSender for the SMTP server on 127.0.0.1:`port`."""
    changes = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"}
    changes |= {"mail_from": MAIL_FROM, **settings}
    settings = revalidated(services.settings, **changes)
    return EmailSender(settings, services.clock, services.db, services.blobs)  # as `loket run`


class ScriptedSink(SmtpSink):
    """A sink that answers RCPT or DATA with a given SMTP reply instead of 250."""

    def __init__(self, rcpt_reply: str | None = None, data_reply: str | None = None) -> None:
        super().__init__()
        self.rcpt_reply, self.data_reply = rcpt_reply, data_reply

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return self.data_reply or await super().handle_DATA(server, session, envelope)


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"bot", b"pw")
    return AuthResult(success=ok, handled=False, auth_data=data)  # handled=False: tech-notes §5


class TlsSink(SmtpSink):
    """A sink requiring TLS (STARTTLS or implicit) and a login, with a certificate of `ca`."""

    def __init__(self, ca: trustme.CA, implicit: bool) -> None:
        super().__init__()
        self.implicit = implicit
        self.server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(self.server_context)

    def start(self) -> TlsSink:
        # aiosmtpd only counts STARTTLS as TLS for AUTH; the implicit-TLS socket is TLS anyway.
        tls: dict[str, Any] = (
            {"ssl_context": self.server_context, "auth_require_tls": False}
            if self.implicit
            else {"tls_context": self.server_context, "require_starttls": True}
        )
        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.port, authenticator=_authenticator,
            auth_required=True, **tls,
        )  # fmt: skip
        self._controller.start()
        return self


@pytest.fixture
def ca(tmp_path: Path) -> Iterator[tuple[trustme.CA, Path]]:
    """A test CA and the PEM file that trusts it (MAIL_CA_FILE)."""
    authority = trustme.CA()
    path = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    yield authority, path


def test_headers_of_an_acknowledgement(services: Services) -> None:
    sender = sender_for(services, 25)
    mail = sender.renderer.compose(
        row(in_reply_to="req-1@warga.test", reply_token_case="PPID/2026/000001",
            auto_submitted=True)
    )  # fmt: skip
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["In-Reply-To"] == mail["References"] == "<req-1@warga.test>"
    assert mail["From"] == f"PPID <{MAIL_FROM}>" and mail["To"] == "siti.aminah@warga.test"
    secret = services.settings.reply_secret.get_secret_value()
    assert mail["Reply-To"].startswith("ppid+ppid_2026_000001.")
    assert reference_from_address(str(mail["Reply-To"]), secret) == "PPID/2026/000001"
    assert mail["Message-ID"] == f"<{message_id_for(row(), sender.settings)}>"
    other_secret = sender_for(services, 25, reply_secret="lain").renderer.compose(row())
    assert other_secret["Message-ID"] != mail["Message-ID"]  # not guessable from the row
    assert (
        mail["Message-ID"] == sender.renderer.compose(row())["Message-ID"]
    )  # stable across retries
    assert mail.get_content().startswith("Permohonan informasi Anda")


def test_officer_written_mail_is_not_marked_automatic(services: Services) -> None:
    mail = sender_for(services, 25).renderer.compose(row(auto_submitted=False))
    assert mail["Auto-Submitted"] is None and mail["Reply-To"] is None
    update = sender_for(services, 25).renderer.compose(row(auto_submitted=True))
    assert update["Auto-Submitted"] == "auto-generated"


async def test_delivers_to_the_server(services: Services, smtp_server: SmtpSink) -> None:  # noqa: F811
    message_id = await sender_for(services, smtp_server.port).send(row(auto_submitted=True))
    (envelope,) = smtp_server.envelopes
    assert (envelope.mail_from, envelope.rcpt_tos) == (MAIL_FROM, ["siti.aminah@warga.test"])
    assert smtp_server.messages[0]["Message-ID"] == f"<{message_id}>"


@pytest.mark.parametrize(
    ("sink", "failure"),
    [
        (ScriptedSink(rcpt_reply="550 5.1.1 No such user"), PermanentFailure),
        (ScriptedSink(rcpt_reply="452 4.2.2 Mailbox full, try later"), TemporaryFailure),
        (ScriptedSink(data_reply="554 5.7.1 Message rejected"), PermanentFailure),
        (ScriptedSink(data_reply="451 4.3.0 Try again later"), TemporaryFailure),
    ],
    ids=["rcpt-550", "rcpt-452", "data-554", "data-451"],
)
async def test_smtp_answers(services: Services, sink: ScriptedSink, failure: type) -> None:
    sink.start()
    try:
        with pytest.raises(failure):
            await sender_for(services, sink.port).send(row())
    finally:
        sink.stop()


async def test_server_down_is_temporary(services: Services, smtp_server: SmtpSink) -> None:  # noqa: F811
    smtp_server.stop()
    with pytest.raises(TemporaryFailure, match="unreachable"):
        await sender_for(services, smtp_server.port).send(row())


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "ssl"])
async def test_tls_and_login(
    services: Services, ca: tuple[trustme.CA, Path], implicit: bool
) -> None:
    authority, ca_file = ca
    sink = TlsSink(authority, implicit).start()
    security = "ssl" if implicit else "starttls"
    try:
        good = sender_for(services, sink.port, smtp_security=security, mail_ca_file=ca_file,
                          smtp_user="bot", smtp_password="pw")  # fmt: skip
        await good.check()
        await good.send(row())
        assert len(sink.messages) == 1
        bad = sender_for(services, sink.port, smtp_security=security, mail_ca_file=ca_file,
                         smtp_user="bot", smtp_password="wrong")  # fmt: skip
        # our own misconfiguration must never mark the citizen's address as failing
        with pytest.raises(TemporaryFailure):
            await bad.send(row())
        with pytest.raises(SmtpUnavailable):
            await bad.check()
        untrusted = sender_for(services, sink.port, smtp_security=security,
                               smtp_user="bot", smtp_password="pw")  # fmt: skip
        with pytest.raises(TemporaryFailure):
            await untrusted.send(row())
    finally:
        sink.stop()
