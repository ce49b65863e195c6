"""The email channel's keys: the IMAP mailbox it reads and the SMTP server it sends through."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from bot.settings import SettingsBase


class EmailSettings(SettingsBase):
    """IMAP_*, SMTP_*, MAIL_*: empty IMAP_HOST and SMTP_HOST leave the channel off."""

    imap_host: str = ""
    imap_port: int = Field(default=993, gt=0, lt=65536)
    imap_user: str = ""
    imap_password: SecretStr = SecretStr("")
    imap_security: Literal["ssl", "starttls", "none"] = "ssl"
    imap_folder: str = "INBOX"
    imap_poll_seconds: int = Field(default=60, ge=1)
    mail_default_kind: Literal["information_request", "complaint"] = "information_request"
    smtp_host: str = ""
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_security: Literal["ssl", "starttls", "none"] = "starttls"
    mail_from: str = ""
    mail_ack_per_sender_per_day: int = Field(default=5, ge=0)
    imap_processed_folder: str = ""
    mail_ca_file: Path | None = None
    # email, hostile mail (issue #9): limits of the worker process that reads each mail, and
    # how often a mail may fail before it is quarantined for review.
    mail_parse_timeout_seconds: float = Field(default=30.0, gt=0)
    mail_parse_memory_mb: int = Field(default=1024, ge=256)
    mail_max_attempts: int = Field(default=3, ge=1)
