"""The ways reaching a mailbox can fail, each with the catalogue key that explains it."""

from __future__ import annotations


class MailboxError(Exception):
    """A mailbox could not be read; `key` names the sentence in the catalogue."""

    key = "mail.error.connection"

    def __init__(self, mailbox: str, detail: str = "") -> None:
        super().__init__(f"{mailbox}: {detail}" if detail else mailbox)
        self.mailbox, self.detail = mailbox, detail


class ConnectionFailed(MailboxError):
    """The server could not be reached, TLS failed, or the connection broke (retried)."""

    key = "mail.error.connection"


class InvalidAuth(MailboxError):
    """The server refused the user name or password."""

    key = "mail.error.auth"


class InvalidFolder(MailboxError):
    """The folder to read (or to move processed mail to) does not exist on the server."""

    key = "mail.error.folder"


class SmtpUnavailable(MailboxError):
    """The SMTP server could not be reached or refused our login."""

    key = "mail.error.smtp"
