"""Human labels for stored codes (kind, status, channel, role, yes/no), one function each.

Every listing shows these instead of the raw codes; the texts are the catalogue's, the same the
officers' case cards and the reports use. A code without a label (data written by a newer
version, say) is shown as it is rather than hidden.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.i18n import catalogue, normalise_language
from store.enums import Role


def code_label(key: str, code: object, language: str | None) -> str:
    """The catalogue's text under `key`, or the code itself when there is none."""
    return catalogue(normalise_language(language)).get(key, str(code))


def kind_label(kind: str, language: str | None = None) -> str:
    """`complaint` -> `Pengaduan`."""
    return code_label(f"desk.kind.{kind}", kind, language)


def status_label(kind: str, status: str, language: str | None = None) -> str:
    """A case status as the officers' cards name it, e.g. `Belum terverifikasi`."""
    return code_label(f"desk.status.{kind}.{status}", status, language)


def channel_label(channel: str, language: str | None = None) -> str:
    """`buku_tamu` -> `Buku tamu (datang langsung)`, as in the reports."""
    return code_label(f"report.channel.{channel}", channel, language)


def role_label(role: str, language: str | None = None) -> str:
    """`ppid_utama` -> `PPID Utama`."""
    return code_label(f"cli.role.{role}", role, language)


def roles_label(roles: Iterable[str], language: str | None = None) -> str:
    """Several roles, from the widest (admin) to the narrowest (unit officer), with commas."""
    held = set(roles)
    return ", ".join(role_label(r, language) for r in Role if r in held)


def outbox_status_label(status: str, language: str | None = None) -> str:
    """`failed` -> `Gagal`."""
    return code_label(f"cli.outbox_status.{status}", status, language)


def yes_no(value: bool, language: str | None = None) -> str:
    """`True` -> `Ya`, `False` -> `Tidak`."""
    return code_label("cli.yes" if value else "cli.no", value, language)
