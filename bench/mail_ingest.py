"""Figure `mail_ingest`: CPU milliseconds and statements to ingest one mail in the poll's
batches, in this one process (no IMAP, no reader workers, no start-up), the poll's own share.

The mails are bench/mail.py's mix, read (parsed and classified) before the clock starts, then
ingested through the email channel's ingestor in batches of the poll's BATCH_MAILS taken
together, exactly as `loket mail poll` takes a backlog, into a fresh database (`--backend`,
`--database-url`). CPU is `time.process_time()` (every thread of the process: the database
driver's thread and the blob writes too); statements are counted with a `before_cursor_execute`
listener (an executemany counts once). Profile it with
`.venv/bin/python -m pyinstrument -m bench mail_ingest --n 1000`.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.common import backend_of, bench_database, emit, peak_rss_mb, reset_peak_rss
from bench.mail import MAIL_FROM, realistic_mails
from bot.services import Services
from channels.email.imap import FetchedMail
from channels.email.ingest import MailIngestor
from channels.email.mailboxes import env_mailbox
from channels.email.message import MailLocation
from channels.email.poller import BATCH_MAILS, build_incoming
from store.migrate import upgrade

UIDVALIDITY = 7


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The figure's own option: the seed of the mix."""
    parser.add_argument("--seed", type=int, default=11)


async def measure(url: str, n: int, seed: int, work: Path) -> dict[str, Any]:
    """Ingest the `n` mails of the mix in batches; CPU ms and statements a mail."""
    from app.settings import load_settings  # the composition root, as `loket` builds it
    from app.wiring import build_services

    settings = load_settings(
        database_url=url, attachment_dir=work / "attachments", imap_host="127.0.0.1",
        imap_user="bench", imap_password="bench", imap_security="none", mail_from=MAIL_FROM,
        reply_secret="bench-secret",
    )  # fmt: skip
    services: Services = build_services(settings)
    try:
        await upgrade(services.db)
        config = env_mailbox(settings)
        assert config is not None
        now = services.clock.now()
        where = [MailLocation(config.name, UIDVALIDITY, uid) for uid in range(1, n + 1)]
        mails = [
            build_incoming(FetchedMail(place.uid, raw, None), place, config, now)
            for place, raw in zip(where, realistic_mails(n, seed), strict=True)
        ]
        ingestor = MailIngestor(services.db, settings, services.clock, services.blobs,
                                services.intake)  # fmt: skip
        statements = 0

        def count(*_args: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(services.db.engine.sync_engine, "before_cursor_execute", count)
        reset_peak_rss()
        started, cpu = time.perf_counter(), time.process_time()
        for first in range(0, len(mails), BATCH_MAILS):
            batch = mails[first : first + BATCH_MAILS]
            async with ingestor.batch(batch, apart=False):
                for mail in batch:
                    await ingestor.ingest(mail)
        cpu, seconds = time.process_time() - cpu, time.perf_counter() - started
        return {
            "cpu_ms_per_mail": round(cpu * 1000 / n, 2),
            "statements_per_mail": round(statements / n, 2),
            "rate": round(n / seconds, 1),
            "seconds": round(seconds, 2),
            "peak_rss_mb": peak_rss_mb(),
        }
    finally:
        await services.close()


def run(args: argparse.Namespace) -> None:
    """Ingest the mix and print the figure as one JSON line and a human line."""
    with (
        tempfile.TemporaryDirectory(prefix="loket-bench-ingest-") as tmp,
        bench_database(args.database_url, args.backend) as url,
    ):
        result = asyncio.run(measure(url, args.n, args.seed, Path(tmp)))
        human = (f"{result['cpu_ms_per_mail']} ms of CPU and {result['statements_per_mail']} "
                 f"statements a mail ({result['rate']} mails/s in one process)")  # fmt: skip
        emit("mail_ingest", args.n, backend_of(url), human, **result)
