"""Figure `mail_read`: CPU milliseconds to read one mail (`read_mail`: MIME parse,
classification, text), the work each reader worker does for `loket mail poll`.

The mails are bench/mail.py's mix, made the same way (`realistic_mails`: one in five with a
20-120 KB PDF or photo, 5 % automatic replies, one in ten from ../shared/corpora/emails), held
in memory before the clock starts; each is read `--rounds` times in this one process (no worker,
so no pickling and no IPC in the figure), after a warm-up. Prints one JSON line: ms_per_mail
(process CPU time over the reads), n, rounds, peak_rss_mb. Profile it with
`.venv/bin/python -m pyinstrument -m bench mail_read --n 1000`.
"""

from __future__ import annotations

import argparse
import time

from bench.common import emit, peak_rss_mb, reset_peak_rss
from bench.mail import realistic_mails
from channels.email.reader import read_mail

WARM_UP = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The figure's own options: the seed of the mix and how often each mail is read."""
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rounds", type=int, default=3)


def measure(n: int, seed: int, rounds: int) -> dict[str, float | int]:
    """CPU ms per mail over `rounds` reads of the `n` mails of the mix (and the byte sizes)."""
    mails = list(realistic_mails(n, seed))
    for raw in mails[:WARM_UP]:
        read_mail(raw)
    reset_peak_rss()
    started = time.process_time()
    for _ in range(rounds):
        for raw in mails:
            read_mail(raw)
    cpu = time.process_time() - started
    return {
        "ms_per_mail": round(cpu * 1000 / (len(mails) * rounds), 3),
        "rounds": rounds,
        "kb_per_mail": round(sum(map(len, mails)) / len(mails) / 1024, 1),
        "peak_rss_mb": peak_rss_mb(),
    }


def run(args: argparse.Namespace) -> None:
    """Read the mix and print the figure as one JSON line and a human line."""
    result = measure(args.n, args.seed, args.rounds)
    human = f"{result['ms_per_mail']} ms of CPU a mail ({result['kb_per_mail']} KB on average)"
    emit("mail_read", args.n, "none", human, **result)
