"""PostgreSQL in a backup: the documented `pg_dump --format=custom` / `pg_restore` path.

The dump runs on a snapshot exported from our own REPEATABLE READ transaction, in which the
row counts and the schema revision of the manifest are read too: manifest and dump describe
the same instant while workers keep writing. The password goes to the tools through
PGPASSWORD, never on a command line (which every user of the machine can read).
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from store.archive.errors import ArchiveError
from store.db import Database

_LIBPQ_QUERY = ("sslmode", "sslrootcert", "sslcert", "sslkey", "application_name")


def find_tool(name: str, bin_dir: Path | None) -> str:
    """The path of `pg_dump` or `pg_restore`: in `bin_dir` if given, else the newest
    /usr/lib/postgresql/*/bin (Debian), else PATH; ArchiveError saying how to get it."""
    if bin_dir is not None:
        candidate = Path(bin_dir) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
        raise ArchiveError("ops.pg_tool_missing_in", usage=False, tool=name, folder=str(bin_dir))
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise ArchiveError("ops.pg_tool_missing", usage=False, tool=name)


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def conninfo(url: str | URL, database: str | None = None) -> tuple[str, dict[str, str]]:
    """A libpq connection string for `url` (optionally another database on the same server)
    without the password, and the environment that carries the password."""
    parsed = make_url(url) if isinstance(url, str) else url
    parts = {
        "host": parsed.host or "",
        "port": str(parsed.port or ""),
        "user": parsed.username or "",
        "dbname": database or parsed.database or "",
    }
    query = dict(parsed.query)
    if "ssl" in query and "sslmode" not in query:  # asyncpg's spelling
        query["sslmode"] = query.pop("ssl")
    for key in _LIBPQ_QUERY:
        if key in query:
            value = query[key]
            parts[key] = value if isinstance(value, str) else value[0]
    info = " ".join(f"{k}={_quote(v)}" for k, v in parts.items() if v)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return info, env


async def _run_tool(args: list[str], env: dict[str, str]) -> None:
    """Run a PostgreSQL tool; ArchiveError with the first line of its complaint on failure."""
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        lines = [ln for ln in err.decode(errors="replace").splitlines() if ln.strip()]
        raise ArchiveError(
            "ops.pg_tool_failed",
            usage=False,
            tool=Path(args[0]).name,
            problem=lines[0] if lines else f"exit status {proc.returncode}",
        )


async def inspect(conn: AsyncConnection) -> tuple[list[str], dict[str, int]]:
    """(schema revisions, row count per table of the public schema) seen by `conn`."""
    names = await table_names(conn)
    revisions: list[str] = []
    if "alembic_version" in names:
        rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
        revisions = sorted(r[0] for r in rows)
    counts: dict[str, int] = {}
    for name in names:
        if name != "alembic_version":
            counts[name] = (await conn.execute(text(f'SELECT count(*) FROM "{name}"'))).scalar_one()
    return revisions, counts


async def table_names(conn: AsyncConnection) -> list[str]:
    """Tables outside PostgreSQL's own schemas (Loket keeps its tables in `public`)."""
    rows = await conn.execute(
        text(
            "SELECT tablename FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
    )
    return sorted(r[0] for r in rows)


async def dump(
    db: Database, url: str, dest: Path, bin_dir: Path | None, referenced_sql: str
) -> tuple[list[str], dict[str, int], set[str]]:
    """pg_dump the database into `dest`; return its (revisions, counts, the first column of
    `referenced_sql`'s rows) at the dumped instant."""
    tool = find_tool("pg_dump", bin_dir)
    info, env = conninfo(url)
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            snapshot_id = (await conn.execute(text("SELECT pg_export_snapshot()"))).scalar_one()
            revisions, counts = await inspect(conn)
            referenced = {r[0] for r in await conn.execute(text(referenced_sql))}
            await _run_tool(
                [tool, "--format=custom", "--no-owner", "--no-privileges",
                 f"--snapshot={snapshot_id}", f"--file={dest}", f"--dbname={info}"],
                env,
            )  # fmt: skip
    return revisions, counts, referenced


async def restore(url: str, source: Path, bin_dir: Path | None) -> None:
    """pg_restore `source` into the (empty) database of `url` as one transaction: on any
    error nothing of it stays."""
    tool = find_tool("pg_restore", bin_dir)
    info, env = conninfo(url)
    await _run_tool(
        [tool, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         f"--dbname={info}", str(source)],
        env,
    )  # fmt: skip


async def create_database(url: str) -> None:
    """CREATE DATABASE for `url`'s database, through the server's `postgres` database."""
    parsed = make_url(url)
    name = parsed.database or ""
    maintenance = Database.from_url(parsed.set(database="postgres").render_as_string(False))
    try:
        async with maintenance.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            quoted = '"' + name.replace('"', '""') + '"'
            await conn.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        await maintenance.dispose()


def is_missing_database(exc: BaseException) -> bool:
    """True when `exc` says the database does not exist (SQLSTATE 3D000)."""
    seen: BaseException | None = exc
    while seen is not None:
        if getattr(seen, "sqlstate", None) == "3D000" or getattr(seen, "pgcode", None) == "3D000":
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False
