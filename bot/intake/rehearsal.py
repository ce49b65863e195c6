"""A rehearsal of intake before the first citizen's message: a made-up request and complaint
filed through `Intake.handle_inbound` up to its commit, then rolled back.

SQLAlchemy compiles each statement at its first execution (the ORM's flush of a new case, its
requester, contacts, events, answers: ~25 ms of a first submit's transaction on the event
loop), and a burst right after a start queued behind the one that paid for it on SQLite's one
writer: the first wave of citizens submitting at once after `loket run` started waited ~25 ms
longer each (docs/benchmarks.md, "Intake rehearsed before the first citizen"). Nothing is kept:
the transaction rolls back (its reference number goes back too; on PostgreSQL the numbers a
rehearsal counted out into the pool stay free for the next cases, never issued twice).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.intake.door import Intake, IntakeResult
from bot.intake.forms import COMPLAINT_FORM, REQUEST_FORM, Form
from store.enums import Channel

log = logging.getLogger(__name__)

# Answers of the kind a citizen gives (the NIK is a valid one of nobody: rolled back anyway).
_REQUEST = {
    "name": "Warga Latihan",
    "nik": "3171014501900001",
    "address": "Jl. Latihan No. 1",
    "phone": "+6281200000000",
    "email": "latihan@example.invalid",
    "information_requested": "Latihan sebelum warga pertama",
    "purpose": "Latihan",
    "obtain_method": "salinan_softcopy",
    "delivery_method": "email",
}
_COMPLAINT = {
    "description": "Latihan sebelum warga pertama",
    "classification": "pengaduan",
    "category": "Latihan",
    "location": "Jl. Latihan No. 1",
    "incident_date": "2026-01-02",
    "anonymous": False,
    "confidential": False,
    "name": "Warga Latihan",
    "phone": "+6281200000000",
}


class _RolledBack(Exception):
    """Raised inside intake's transaction so that nothing of the rehearsal is committed."""


async def rehearse_intake(intake: Intake, channel: Channel) -> None:
    """File a made-up request and complaint on `channel` and roll both back: the statements
    opening a case are compiled before a citizen's case needs them; nothing is stored. A
    failure is logged, never raised (the real first case then pays for the compiling)."""
    for form, data in ((REQUEST_FORM, _REQUEST), (COMPLAINT_FORM, _COMPLAINT)):
        try:
            await _rehearse(intake, channel, form, data)
        except _RolledBack:
            continue
        except Exception:
            log.exception("rehearsing intake (%s) failed; nothing was stored", form.name)


async def _rehearse(intake: Intake, channel: Channel, form: Form, data: dict[str, Any]) -> None:
    now = intake.clock.now()
    message = form.submission(
        data,
        channel=channel,
        external_id=f"rehearsal:{form.name}:{now.timestamp()}",
        sender="rehearsal",
        sender_name=None,
        received_at=now,
        language="id",
    )

    async def roll_back(_session: AsyncSession, _result: IntakeResult) -> None:
        raise _RolledBack

    await intake.handle_inbound(message, record=roll_back)
