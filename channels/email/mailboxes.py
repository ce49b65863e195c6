"""The mailboxes Loket reads: one from the IMAP_* settings, more added with
`loket mail add-mailbox`. Each opens cases of one kind (ppid@ -> information requests,
pengaduan@ -> complaints) and optionally for one unit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from dotenv import dotenv_values
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import DomainError
from bot.settings import Settings
from store.enums import CaseKind
from store.models import MailMailbox

# The mailbox configured in the environment is recorded under this name.
ENV_MAILBOX = "env"
SECURITY_MODES = ("ssl", "starttls", "none")


@dataclass(frozen=True)
class MailboxConfig:
    """Everything needed to read one mailbox and to act on the mail in it."""

    name: str
    host: str
    port: int
    security: str
    username: str
    password: str = field(repr=False)
    folder: str
    processed_folder: str
    case_kind: CaseKind
    unit_id: int | None = None


def env_mailbox(settings: Settings) -> MailboxConfig | None:
    """The mailbox of the IMAP_* settings, or None when IMAP_HOST is empty."""
    if not settings.imap_host:
        return None
    return MailboxConfig(
        name=ENV_MAILBOX,
        host=settings.imap_host,
        port=settings.imap_port,
        security=settings.imap_security,
        username=settings.imap_user,
        password=settings.imap_password.get_secret_value(),
        folder=settings.imap_folder,
        processed_folder=settings.imap_processed_folder,
        case_kind=CaseKind(settings.mail_default_kind),
    )


def _secret(variable: str) -> str:
    """A password from the environment or the .env file (never from the database)."""
    return os.environ.get(variable) or dotenv_values(".env").get(variable) or ""


def _from_row(row: MailMailbox, settings: Settings) -> MailboxConfig:
    return MailboxConfig(
        name=row.name,
        host=row.host or settings.imap_host,
        port=row.port or settings.imap_port,
        security=row.security or settings.imap_security,
        username=row.username or settings.imap_user,
        password=(
            _secret(row.password_env)
            if row.password_env
            else settings.imap_password.get_secret_value()
        ),
        folder=row.folder,
        processed_folder=settings.imap_processed_folder,
        case_kind=CaseKind(row.case_kind),
        unit_id=row.unit_id,
    )


async def configured_mailboxes(session: AsyncSession, settings: Settings) -> list[MailboxConfig]:
    """The environment's mailbox (if any) followed by every active added one."""
    rows = (
        await session.exec(
            select(MailMailbox).where(col(MailMailbox.active)).order_by(col(MailMailbox.id))
        )
    ).all()
    env = env_mailbox(settings)
    return [*([env] if env else []), *(_from_row(row, settings) for row in rows)]


async def add_mailbox(
    session: AsyncSession,
    *,
    name: str,
    folder: str,
    kind: CaseKind,
    unit_id: int | None = None,
    host: str | None = None,
    port: int | None = None,
    security: str | None = None,
    username: str | None = None,
    password_env: str | None = None,
) -> MailMailbox:
    """Record one more mailbox; DomainError if the name is taken or reserved."""
    name = name.strip().lower()
    if name == ENV_MAILBOX or not name:
        raise DomainError("mail.mailbox_name_reserved", name=ENV_MAILBOX)
    if kind == CaseKind.OBJECTION:
        raise DomainError("mail.mailbox_kind", kind=kind.value)
    if security is not None and security not in SECURITY_MODES:
        raise DomainError("mail.mailbox_security", choices=", ".join(SECURITY_MODES))
    row = MailMailbox(
        name=name,
        folder=folder.strip(),
        case_kind=kind.value,
        unit_id=unit_id,
        host=host,
        port=port,
        security=security,
        username=username,
        password_env=password_env,
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise DomainError("mail.mailbox_exists", name=name) from None
    return row
