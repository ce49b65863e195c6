"""Fixtures of the email tests: a fresh folder on the session's Dovecot, settings and services
reading it, and an ingestion pipeline without IMAP for the core rules."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import Settings
from bot.crash_points import ENV_VAR as CRASH_ENV_VAR
from bot.services import Services
from channels.email.imap import FetchedMail
from channels.email.ingest import IngestOutcome
from channels.email.mailboxes import MailboxConfig, env_mailbox
from channels.email.message import MailLocation
from channels.email.poller import MailboxWatcher, build_incoming
from channels.email.runner import ingestor_for
from store.blobs import BlobStore
from tests.support.dovecot import DovecotServer, dovecot  # noqa: F401  (fixture)
from tests.support.smtp import SmtpSink, smtp_server  # noqa: F401  (fixture)

MAIL_FROM = "ppid@pemda.test"
_uids = itertools.count(1)


@pytest.fixture
def folder(dovecot: DovecotServer) -> str:  # noqa: F811
    """A folder of this test's own on the session's Dovecot."""
    return dovecot.new_folder()


def revalidated(settings: Settings, **changes: object) -> Settings:
    """`settings` with `changes`, validated (so "secret" becomes a SecretStr, "4" an int)."""
    return Settings(_env_file=None, **{**settings.model_dump(), **changes})  # type: ignore[call-arg]


def with_settings(services: Services, **changes: object) -> Services:
    """The test's services (same database and clock) with some settings changed."""
    settings = revalidated(services.settings, **changes)
    return Services(
        settings=settings,
        db=services.db,
        clock=services.clock,
        blobs=BlobStore(settings.attachment_dir, settings.attachment_max_bytes),
    )


def imap_settings(dovecot: DovecotServer, folder: str) -> dict[str, object]:  # noqa: F811
    """Settings reading `folder` on the test Dovecot over plain IMAP, sending as MAIL_FROM."""
    return {
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "imap_security": "none",
        "imap_user": dovecot.user,
        "imap_password": dovecot.password,
        "imap_folder": folder,
        "mail_from": MAIL_FROM,
    }


@pytest.fixture
def mail_services(
    services: Services,
    dovecot: DovecotServer,  # noqa: F811
    folder: str,
) -> Services:
    """The test's services, reading the test's folder."""
    return with_settings(services, **imap_settings(dovecot, folder))


@pytest.fixture
def core_services(services: Services) -> Services:
    """The test's services with a mailbox configured but never connected to."""
    return with_settings(services, imap_host="imap.invalid", mail_from=MAIL_FROM)


@pytest.fixture
def watcher(mail_services: Services) -> Iterator[MailboxWatcher]:
    """The watcher of the environment's mailbox (its worker stopped afterwards)."""
    config = env_mailbox(mail_services.settings)
    assert config is not None
    watcher = MailboxWatcher(
        config, ingestor_for(mail_services), mail_services.settings, mail_services.clock
    )
    yield watcher
    watcher.reader.close()


class Deliver:
    """Ingest raw mail straight into the core (no IMAP): parse, classify, ingest."""

    def __init__(self, services: Services, config: MailboxConfig) -> None:
        self.services, self.config = services, config
        self.ingestor = ingestor_for(services)

    async def __call__(self, raw: bytes, uid: int | None = None) -> IngestOutcome:
        """Ingest one message as if fetched at a new UID."""
        location = MailLocation(self.config.name, 1, uid or next(_uids) + 1000)
        fetched = FetchedMail(location.uid, raw, None)
        now = self.services.clock.now()
        return await self.ingestor.ingest(build_incoming(fetched, location, self.config, now))


@pytest.fixture
def deliver(core_services: Services) -> Deliver:
    """Ingest raw mail into the environment's mailbox without going through IMAP."""
    config = env_mailbox(core_services.settings)
    assert config is not None
    return Deliver(core_services, config)


def loket_env(services: Services) -> dict[str, str]:
    """The environment of a `loket` subprocess using the test's database and mailbox."""
    s = services.settings
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV_VAR}
    return env | {
        "DATABASE_URL": s.database_url,
        "ATTACHMENT_DIR": str(s.attachment_dir),
        "IMAP_HOST": s.imap_host,
        "IMAP_PORT": str(s.imap_port),
        "IMAP_SECURITY": s.imap_security,
        "IMAP_USER": s.imap_user,
        "IMAP_PASSWORD": s.imap_password.get_secret_value(),
        "IMAP_FOLDER": s.imap_folder,
        "MAIL_FROM": s.mail_from,
        "REPLY_SECRET": s.reply_secret.get_secret_value(),
    }


def run_loket(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `loket *args` in a fresh process (cwd without a .env)."""
    return subprocess.run(
        [sys.executable, "-c", "from app.cli.main import main; main()", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
