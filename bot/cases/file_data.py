"""The one file type every channel hands over or sends: a name, a content type and the bytes.

A plain value of its own module, importing nothing, so that what only reads files (a mail
reader process) need not load the store to name one; keeping files is bot/cases/attachments.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileData:
    """A file with its bytes: received with a message, registered by an officer, or sent."""

    filename: str
    content_type: str
    data: bytes
    # The SHA-256 of `data` (hex), when whoever made the file worked it out already: the mail
    # reader does, in its own process, so the poll's event loop does not hash every file.
    sha256: str | None = None
