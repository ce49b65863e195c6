"""Loket's benchmarks, one figure per command: `python -m bench NAME --n N [--database-url URL]`.

Each figure prints one JSON line (figure, n, seconds or rate, p99_ms where it applies,
peak_rss_mb, backend) and a human line starting with '#'. Results and commands are recorded in
docs/benchmarks.md. Without --database-url a fresh SQLite file is used (`--backend postgresql`:
a throwaway PostgreSQL cluster, tests/support/postgres.py).
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, default N, one-line description)
FIGURES: dict[str, tuple[str, int, str]] = {
    "report": ("bench.report", 100_000, "annual report and complaint recap over N cases"),
    "sweep": ("bench.sweep", 10_000, "`loket scheduler tick` over N open cases, twice"),
    "chaos": ("bench.chaos", 500, "N emails + N Telegram messages into a SIGKILLed run"),
    "mail": ("bench.mail", 10_000, "`loket mail poll --once` over N mails, and django-helpdesk"),
    "fuzz_mail": ("bench.fuzz_mail", 100_000, "the mail reader over N hostile mails"),
    "mail_read": ("bench.mail_read", 1_000, "CPU ms to read a mail, over N mails of the mix"),
    "mail_ingest": ("bench.mail_ingest", 1_000, "CPU ms to ingest a mail in the poll's batches"),
    "outbound": ("bench.outbound", 600, "N outbox rows to Telegram chats under its limits"),
    "telegram": ("bench.telegram", 100, "N citizens filing requests on Telegram, 20 at once"),
}


def parser() -> argparse.ArgumentParser:
    """The dispatcher's parser: one sub-command per figure, each with its own options."""
    top = argparse.ArgumentParser(
        prog="python -m bench", description=(__doc__ or "").splitlines()[0]
    )
    commands = top.add_subparsers(dest="figure", metavar="NAME", required=True)
    for name, (module_name, default_n, description) in FIGURES.items():
        sub = commands.add_parser(name, help=description, description=description)
        sub.add_argument("--n", type=int, default=default_n, help=f"size (default {default_n})")
        sub.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
        sub.add_argument("--database-url", default=None, help="measure on this database")
        sub.set_defaults(module=module_name)
    return top


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, then import and run the chosen figure's module."""
    top = parser()
    args, rest = top.parse_known_args(argv)
    module = importlib.import_module(args.module)
    own = argparse.ArgumentParser(prog=f"python -m bench {args.figure}")
    module.add_arguments(own)
    args = own.parse_args(rest, namespace=args)
    module.run(args)


if __name__ == "__main__":
    main(sys.argv[1:])
