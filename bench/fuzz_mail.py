"""Benchmark: fuzz the mail reader with N hostile variants of the corpus mails (issue #9).

Usage: python -m bench fuzz_mail [--n 100000] [--seed 0]   (--n: hostile mails)
Each case is a corpus mail with one to three mutations (tests/support/mail_fuzz.py: byte
flips, header garbage, deep nesting of multiparts, message/rfc822 and <blockquote>, odd
charset labels, comments in address headers, huge RFC 2231 parameters, truncation), read the
way `loket run` reads mail: in the worker process (channels/email/worker.py) with the default
MAIL_PARSE_TIMEOUT_SECONDS and MAIL_PARSE_MEMORY_MB. Prints one JSON line: cases, how many
made parse_mail or classify raise (must be 0), how many the worker could not read within its
limits (quarantined), how many were read only in part (unreadable: they go to review), wall
seconds, and the peak resident memory of the worker and of the main process.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import time

from app.settings import Settings
from bench.common import emit
from channels.email.classify import classify
from channels.email.parse import parse_mail
from channels.email.worker import MailReaderPool
from tests.support.emails import INDONESIAN_REQUESTS, corpus_files
from tests.support.mail_fuzz import hostile_variant, load_corpus


def checked_read(raw: bytes) -> tuple[bool, bool]:
    """(raised, read only in part) for one mail; runs in the worker."""
    try:
        parsed = parse_mail(raw)
        classify(parsed.message)
    except Exception:
        return True, False
    return False, bool(parsed.problems)


async def fuzz(cases: int, seed: int) -> dict[str, float | int]:
    """Read `cases` hostile mails in the worker; count what happened."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    pool = MailReaderPool(
        settings.mail_parse_timeout_seconds,
        settings.mail_parse_memory_mb,
        reader=checked_read,  # type: ignore[arg-type]
    )
    corpus = load_corpus(corpus_files()) + list(INDONESIAN_REQUESTS.values())
    raised = quarantined = unreadable = 0
    started = time.perf_counter()
    try:
        for case in range(cases):
            raw = hostile_variant(corpus, random.Random(f"{seed}:{case}"))
            result = await pool.read(raw)
            if result.reading is None:
                quarantined += 1
                continue
            case_raised, case_unreadable = result.reading  # type: ignore[misc]
            raised += case_raised
            unreadable += case_unreadable
    finally:
        pool.close()  # joins the worker, so its peak memory is in RUSAGE_CHILDREN
    seconds = time.perf_counter() - started
    return {
        "cases": cases,
        "raised": raised,
        "quarantined": quarantined,
        "unreadable": unreadable,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "main_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The fuzz run's own option."""
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> None:
    """Run the fuzz and print its figures as one JSON line and a human line."""
    result = asyncio.run(fuzz(args.n, args.seed))
    figures = {k: v for k, v in result.items() if k != "cases"}
    human = f"{result['raised']} raised, {result['quarantined']} quarantined, {result['seconds']} s"
    emit("fuzz_mail", args.n, "none", human, **figures)
