"""An officer's answer written late in the evening reaches the citizen after the quiet hours."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from bot.desk.actions import Desk
from bot.desk.identities import ChannelIdentity
from bot.services import Services
from store.models import OutboxMessage
from tests.support.builders import COMPLETE_REQUEST, make_case
from tests.support.staff import make_staff

WIB = dt.timezone(dt.timedelta(hours=7))


async def reply_at(services: Services, at: dt.datetime) -> OutboxMessage:
    staff = await make_staff(services)
    case = await make_case(services, details={**COMPLETE_REQUEST, "email": "siti@example.test"})
    services.clock.set(at)  # type: ignore[attr-defined]
    admin = ChannelIdentity("telegram", str(staff.admin))
    await Desk(services).reply(admin, case.reference, "Dokumen sudah siap.", [], "m-1")
    async with services.db.session() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.purpose == "officer_reply")
        return (await session.exec(stmt)).one()


async def test_a_reply_at_22_00_waits_until_06_00(services: Services) -> None:
    row = await reply_at(services, dt.datetime(2026, 1, 6, 22, 0, tzinfo=WIB))
    assert row.not_before == dt.datetime(2026, 1, 7, 6, 0, tzinfo=WIB)


async def test_a_reply_in_the_afternoon_goes_at_once(services: Services) -> None:
    at = dt.datetime(2026, 1, 6, 14, 0, tzinfo=WIB)
    row = await reply_at(services, at)
    assert row.not_before == at
