"""Intake's rehearsal before the first citizen: it runs a case's opening to the end and leaves
nothing behind, not even a reference number."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.intake.door import InboundMessage, IntakeResult
from bot.intake.rehearsal import rehearse_intake
from bot.services import Services
from store.enums import CaseKind, Channel
from store.models import Attachment, Case, Contact, Event, Message, OutboxMessage, Requester
from tests.bot.workflow.helpers import request_details
from tests.support.builders import make_case


async def _counts(services: Services) -> dict[str, int]:
    async with services.db.session() as session:
        return {
            model.__name__: (await session.exec(select(func.count()).select_from(model))).one()
            for model in (Case, Message, Requester, Contact, Event, OutboxMessage, Attachment)
        }


@pytest.mark.parametrize("channel", [Channel.TELEGRAM, Channel.EMAIL])
async def test_a_rehearsal_opens_both_kinds_to_the_commit_and_keeps_nothing(
    services: Services,
    channel: Channel,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = await _counts(services)
    reached: list[IntakeResult] = []
    handle = services.intake.handle_inbound

    async def watched(msg: InboundMessage, **kw: Any) -> IntakeResult:
        record = kw["record"]

        async def seen(session: AsyncSession, result: IntakeResult) -> None:
            reached.append(result)
            await record(session, result)

        return await handle(msg, **{**kw, "record": seen})

    monkeypatch.setattr(services.intake, "handle_inbound", watched)
    with caplog.at_level(logging.WARNING):
        await rehearse_intake(services.intake, channel)
    # Each made-up form opened its case (a failing one would only be logged: the first
    # citizen's case would then pay for the compiling again).
    assert [r.case_reference.split("/")[0] for r in reached if r.case_reference] == ["PPID", "ADU"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert await _counts(services) == before


async def test_the_first_real_cases_after_a_rehearsal_get_the_first_numbers(
    services: Services,
) -> None:
    await rehearse_intake(services.intake, Channel.TELEGRAM)
    request = await make_case(services, details=request_details())
    complaint = await make_case(services, kind=CaseKind.COMPLAINT)
    year = services.clock.now().year
    assert (request.reference, complaint.reference) == (f"PPID/{year}/000001", f"ADU/{year}/000001")
