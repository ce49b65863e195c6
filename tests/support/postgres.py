"""A throwaway PostgreSQL cluster from initdb on loopback (drops root privileges as needed)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.support.network import free_port, wait_port


def pg_bin() -> str | None:
    """The newest installed PostgreSQL server's bin directory, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


@dataclass
class PostgresServer:
    """Where the throwaway server listens; `url(db)` builds a SQLAlchemy URL."""

    port: int
    user: str = "app"

    def url(self, database: str) -> str:
        """postgresql:// URL of one database on this server."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a fresh cluster, yield it, stop and delete it."""
    bindir = pg_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found; run .ci/run to install them")
    root = tempfile.mkdtemp(prefix="loket-pg-")
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        as_user = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
    port = free_port()
    data = os.path.join(root, "data")
    log = os.path.join(root, "pg.log")
    run = lambda *args: subprocess.run(  # noqa: E731
        [*as_user, *args], check=True, capture_output=True, cwd=root
    )
    run(f"{bindir}/initdb", "-D", data, "-U", "app", "--auth=trust", "--no-sync", "-E", "UTF8",
        "--locale=C.UTF-8")  # fmt: skip
    opts = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    run(f"{bindir}/pg_ctl", "-D", data, "-l", log, "-w", "-o", opts, "start")
    try:
        wait_port(port)
        yield PostgresServer(port=port)
    finally:
        subprocess.run(
            [*as_user, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
            capture_output=True,
            cwd=root,
        )
        shutil.rmtree(root, ignore_errors=True)


def create_database(server: PostgresServer, name: str, template: str | None = None) -> None:
    """CREATE DATABASE name [TEMPLATE template] through psycopg (autocommit)."""
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=server.port, user=server.user, dbname="postgres", autocommit=True
    ) as conn:
        tmpl = f" TEMPLATE {template}" if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{tmpl}')  # type: ignore[arg-type]
