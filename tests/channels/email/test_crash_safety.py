"""`loket mail poll --once` killed with SIGKILL at every step of the per-message sequence
(fetched, inside its batch's open transaction, committed, flagged), then run again: every
message is recorded exactly once, every new case has exactly one acknowledgement, nothing is lost.

The kill is placed by LOKET_CRASH_AT (bot/crash_points.py): the process SIGKILLs itself the
n-th time it reaches the named point, which is exactly what `kill -9` from outside does.
"""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

from sqlmodel import col, select

from bot.crash_points import ENV_VAR
from bot.services import Services
from store.models import Case, MailRecord, Message, OutboxMessage
from tests.channels.email.conftest import loket_env, run_loket
from tests.support.dovecot import DovecotServer
from tests.support.emails import INDONESIAN_REQUESTS, corpus_files

# (point, n): die the n-th time the point is reached in that run.
CRASHES = (
    ("mail_fetched", 2),
    ("mail_before_commit", 4),
    ("mail_committed", 6),
    ("mail_marked", 9),
    ("mail_before_commit", 11),
)


async def recorded(services: Services) -> list[MailRecord]:
    """Every mail record."""
    async with services.db.session() as session:
        return list((await session.exec(select(MailRecord))).all())


async def test_sigkill_at_every_step_loses_and_doubles_nothing(
    mail_services: Services, dovecot: DovecotServer, folder: str, tmp_path: Path
) -> None:
    raws = [p.read_bytes() for p in corpus_files()] + list(INDONESIAN_REQUESTS.values())
    uids = [dovecot.append(folder, raw) for raw in raws]
    env = loket_env(mail_services)

    for point, nth in CRASHES:
        before = len(await recorded(mail_services))
        crashed = run_loket(env | {ENV_VAR: f"{point}:{nth}"}, tmp_path, "mail", "poll", "--once")
        assert crashed.returncode == -signal.SIGKILL, (point, crashed.stderr[-2000:])
        if point == "mail_before_commit":
            # The n-th mail's transaction (its batch's: channels/email/batch.py) died
            # uncommitted: at most the batches before it were kept.
            assert before <= len(await recorded(mail_services)) < before + nth
    finished = run_loket(env, tmp_path, "mail", "poll", "--once")
    assert finished.returncode == 0, finished.stderr[-2000:]

    records = await recorded(mail_services)
    assert sorted(r.uid for r in records) == sorted(uids)  # every message, once
    assert len({r.message_key for r in records}) == len(raws)
    async with mail_services.db.session() as session:
        messages = (await session.exec(select(Message.external_id))).all()
        cases = (await session.exec(select(Case).order_by(col(Case.id)))).all()
        acks = (await session.exec(select(OutboxMessage.case_id))).all()
    assert len(messages) == len(set(messages)) == sum(1 for r in records if r.message_id)
    assert {c.id for c in cases} == {r.case_id for r in records if r.disposition == "new_case"}
    assert Counter(acks) == dict.fromkeys((c.id for c in cases), 1)
    # a transaction that died gave its reference number back: no gaps
    assert [int(c.reference.rsplit("/", 1)[1]) for c in cases] == list(range(1, len(cases) + 1))
    assert all("\\Seen" in flags for flags in dovecot.flags(folder).values())
