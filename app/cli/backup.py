"""`loket backup FILE` and `loket restore FILE`: the whole store in one file, and back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import run, say, settings_or_exit
from bot.errors import DomainError, LoketError

if TYPE_CHECKING:
    from bot.services import Services
    from store.archive import ArchiveError, Manifest, RestoreResult

# store.archive (and Alembic with it) is imported by the two commands that use it.


def _as_loket_error(exc: ArchiveError) -> LoketError:
    """The archive's refusal as the CLI's error: bad input exits 2, the set-up 1."""
    return (DomainError if exc.usage else LoketError)(exc.key, **exc.params)


def _figures(manifest: Manifest) -> dict[str, int]:
    return {
        "cases": manifest.counts.get("cases", 0),
        "messages": manifest.counts.get("messages", 0),
        "attachments": len(manifest.attachment_members),
    }


def backup(
    file: Annotated[Path, typer.Argument(help="New backup file (never overwritten)")],
) -> None:
    """Back up the database and the attachment store into FILE (safe while `loket run` runs)."""
    from store.archive import ArchiveError
    from store.archive import backup as write_backup

    async def work(svc: Services) -> Manifest:
        try:
            return await write_backup(
                svc.settings.database_url,
                svc.settings.attachment_dir,
                file,
                svc.clock.now(),
                pg_bin_dir=svc.settings.postgres_bin_dir,
            )
        except ArchiveError as exc:
            raise _as_loket_error(exc) from None

    manifest = run(work)
    revision = ", ".join(manifest.schema_revisions)
    say("ops.backup.done", file=str(file), revision=revision, **_figures(manifest))
    if manifest.missing_attachments:
        say("ops.backup.missing_attachments", count=len(manifest.missing_attachments),
            folder=str(settings_or_exit().attachment_dir))  # fmt: skip


def restore(
    file: Annotated[Path, typer.Argument(help="Backup file made by `loket backup`")],
) -> None:
    """Restore FILE into an empty database (a SQLite file is created) and the attachments."""
    from store.archive import ArchiveError
    from store.archive import restore as read_backup

    async def work(svc: Services) -> RestoreResult:
        try:
            return await read_backup(
                svc.settings.database_url,
                svc.settings.attachment_dir,
                file,
                pg_bin_dir=svc.settings.postgres_bin_dir,
            )
        except ArchiveError as exc:
            raise _as_loket_error(exc) from None

    result = run(work)
    manifest = result.manifest
    say("ops.restore.done", file=str(file), created_at=manifest.created_at,
        version=manifest.loket_version, **_figures(manifest))  # fmt: skip
    if result.migrated:
        say("ops.restore.migrated", before=", ".join(manifest.schema_revisions),
            after=", ".join(result.revisions_after))  # fmt: skip
