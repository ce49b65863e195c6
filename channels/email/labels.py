"""Human labels of the codes an email's record stores (listings: `loket mail list`)."""

from __future__ import annotations

from bot.labels import code_label


def mail_kind_label(kind: str, language: str | None = None) -> str:
    """Who wrote an email: `bounce` -> `Pemberitahuan gagal kirim`."""
    return code_label(f"cli.mail_kind.{kind}", kind, language)


def mail_disposition_label(disposition: str, language: str | None = None) -> str:
    """What ingestion did with an email: `review` -> `Perlu ditinjau`."""
    return code_label(f"cli.mail_disposition.{disposition}", disposition, language)
