"""Officer cards: what a citizen sends pings officers only in office hours on working days."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from bot.services import Services
from bot.workflow import requests
from bot.workflow.rules import load_rules
from store.models import OutboxMessage
from tests.support.builders import make_case, make_unit

WIB = dt.timezone(dt.timedelta(hours=7))
DESK = -100500


def desk_services(services: Services) -> Services:
    """The services with a PPID desk group configured."""
    services.settings = services.settings.model_copy(update={"telegram_desk_chat_id": DESK})
    return services


async def cards(services: Services, purpose: str = "officer_card") -> list[OutboxMessage]:
    async with services.db.session() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.purpose == purpose)
        return list((await session.exec(stmt)).all())


async def test_a_request_arriving_on_saturday_is_carded_on_monday_morning(
    services: Services,
) -> None:
    services = desk_services(services)
    services.clock.set(dt.datetime(2026, 1, 10, 22, 30, tzinfo=WIB))  # type: ignore[attr-defined]
    await make_case(services)
    [card] = await cards(services)
    assert card.recipient == str(DESK)
    # Monday 2026-01-12 is a working day; office hours start at 08:00 WIB.
    assert card.not_before == dt.datetime(2026, 1, 12, 8, 0, tzinfo=WIB)


async def test_a_card_after_an_officers_own_action_goes_at_once(services: Services) -> None:
    services = desk_services(services)
    unit = await make_unit(services)
    async with services.db.transaction() as session:
        stored = await session.get(type(unit), unit.id)
        assert stored is not None
        stored.telegram_chat_id = -1001
    case = await make_case(services)
    evening = dt.datetime(2026, 1, 5, 19, 0, tzinfo=WIB)
    services.clock.set(evening)  # type: ignore[attr-defined]
    async with services.db.transaction() as session:
        fresh = await session.get(type(case), case.id)
        assert fresh is not None and unit.id is not None
        rules = await load_rules(session, services.settings)
        await requests.dispose(
            session, fresh, unit_id=unit.id, rules=rules, actor="test", now=evening
        )
    unit_cards = [c for c in await cards(services) if c.recipient == "-1001"]
    assert [c.not_before for c in unit_cards] == [evening]


async def test_a_relayed_message_is_one_line_with_personal_data_masked_in_any_notation(
    services: Services,
) -> None:
    from bot.notify.officer_cards import RELAY_TRIGGER, queue_officer_cards
    from store.enums import Direction
    from store.models import Message

    services = desk_services(services)
    services.clock.set(dt.datetime(2026, 1, 5, 10, 0, tzinfo=WIB))  # type: ignore[attr-defined]
    case = await make_case(services)
    typed = (
        "Mohon  dibantu,\n\nNIK saya 3171\u200b0145\u200b0190\u200b0001 "
        "WA: wa.me/6281234567890  atau +62 (0)813-2222-3333\t/ 812 4444 5555"
    )
    async with services.db.transaction() as session:
        session.add(Message(case_id=case.id, direction=Direction.INBOUND.value,
                            channel="telegram", external_id="relay-1", text=typed))  # fmt: skip
        await session.flush()
        rules = await load_rules(session, services.settings)
        await queue_officer_cards(session, case, RELAY_TRIGGER, rules, services.clock.now())
    [relay] = await cards(services, "officer_relay")
    assert (
        "Mohon dibantu, NIK saya 3171********0001 WA: wa.me/62812*****890 atau "
        "+62813*****333 / 812*****555"
    ) in relay.body
    for secret in ("01450190", "1234567", "2222333", "4444555"):
        assert secret not in relay.body.replace("\u200b", "")
