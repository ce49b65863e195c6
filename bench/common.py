"""What every figure shares: its database, its peak memory and its one JSON line."""

from __future__ import annotations

import contextlib
import json
import resource
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.support.postgres import create_database, postgres_server


def backend_of(url: str) -> str:
    """`postgresql` or `sqlite`, from a database URL."""
    return "postgresql" if url.startswith("postgres") else "sqlite"


@contextlib.contextmanager
def bench_database(
    database_url: str | None, backend: str = "sqlite", name: str = "bench"
) -> Iterator[str]:
    """The URL to measure on: the one given, a throwaway PostgreSQL cluster (`backend`
    postgresql, tests/support/postgres.py) or a fresh SQLite file; removed afterwards."""
    if database_url:
        yield database_url
        return
    if backend == "postgresql":
        with postgres_server() as server:
            create_database(server, name)
            yield server.url(name)
        return
    with tempfile.TemporaryDirectory(prefix="loket-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


def reset_peak_rss() -> None:
    """Start a new peak-RSS window for this process (Linux: clear_refs 5 resets VmHWM), so a
    figure's peak does not include the data set-up before it."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident memory in MB: this process since reset_peak_rss() (VmHWM), or the largest
    child process waited for (`children`)."""
    if children:
        return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    with contextlib.suppress(OSError), open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def emit(figure: str, n: int, backend: str, human: str, **values: Any) -> dict[str, Any]:
    """Print the figure as one JSON line (figure, n, backend, then `values`) and a human line."""
    line = {"figure": figure, "n": n, "backend": backend, **values}
    print(json.dumps(line, default=str), flush=True)
    print(f"# {figure} n={n} {backend}: {human}", flush=True)
    return line


def percentile_ms(seconds: list[float], share: float = 0.99) -> float:
    """The `share` percentile of durations given in seconds, in milliseconds (0 when none)."""
    if not seconds:
        return 0.0
    ordered = sorted(seconds)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return round(ordered[index] * 1000, 1)
