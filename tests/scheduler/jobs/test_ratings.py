"""Issue 14: once a complaint is done the complainant is asked, once, to rate the follow-up;
an email reply that starts with 1-5 is the rating (not a reopening), and the recap's RHP
counts it."""

from __future__ import annotations

import datetime as dt

from bot.cases.opening import get_case
from bot.intake.door import InboundMessage
from bot.reports.complaints import complaint_figures
from bot.services import Services
from bot.workflow.complaint_rating import parse_rating_reply
from bot.workflow.rules import load_rules
from channels.email.render import mail_text
from store.enums import Channel, ComplaintStatus
from tests.scheduler.jobs.test_complaints import act, setup_complaint
from tests.support.timeline import at, local_day, outbox_rows, tick_through

D = dt.date


def test_parse_rating_reply() -> None:
    assert parse_rating_reply("4 Sudah diperbaiki, terima kasih") == (
        4,
        "Sudah diperbaiki, terima kasih",
    )
    assert parse_rating_reply("5/5\n\nCepat.\n\nPada Sen, 2 Feb 2026 menulis:\n> 3") == (
        5,
        "Cepat.",
    )
    assert parse_rating_reply("  3.  ") == (3, "")
    for text in ("6 bagus", "45 hari", "Lampu masih mati", "", "> 4 dikutip"):
        assert parse_rating_reply(text) is None, text


async def _reply(services: Services, reference: str, text: str, when: dt.datetime) -> None:
    services.clock.set(when)  # type: ignore[attr-defined]
    await services.intake.handle_inbound(
        InboundMessage(
            channel=Channel.EMAIL,
            external_id=f"<{when.timestamp()}@example.test>",
            sender="budi@example.test",
            sender_name="Budi",
            text=text,
            received_at=when,
            case_reference=reference,
        )
    )


async def test_rating_asked_once_when_done_and_read_from_an_email_reply(
    services: Services,
) -> None:
    case, unit_id = await setup_complaint(services, at(D(2026, 1, 5), 9))
    await act(
        services, at(D(2026, 1, 5), 10), case.reference, "verify_and_dispose", unit_id=unit_id
    )
    await act(services, at(D(2026, 1, 6), 10), case.reference, "post_followup", text="Diganti.")
    await tick_through(services, D(2026, 1, 6), D(2026, 1, 19), times=(dt.time(9),))
    assert await outbox_rows(services, "rating_request") == []  # not before it is done
    await act(services, at(D(2026, 1, 19), 14), case.reference, "close")
    await tick_through(services, D(2026, 1, 19), D(2026, 1, 30), times=(dt.time(9), dt.time(15)))
    (asked,) = await outbox_rows(services, "rating_request")
    assert local_day(asked.not_before) == D(2026, 1, 19) and asked.recipient == "budi@example.test"
    assert case.reference in asked.body and "angka 1 sampai 5" not in asked.body
    assert "angka 1 sampai 5" in mail_text(asked)  # how to answer: the email renderer's part

    await _reply(services, case.reference, "4 Lampu sudah menyala", at(D(2026, 1, 30), 10))
    async with services.db.session() as session:
        rated = await get_case(session, case.reference)
        rules = await load_rules(session, services.settings)
        figures = await complaint_figures(
            session, rules, D(2026, 1, 1), D(2026, 1, 31), D(2026, 1, 31)
        )
    assert (rated.status, rated.rating, rated.rating_comment) == (
        ComplaintStatus.DONE,
        4,
        "Lampu sudah menyala",
    )
    assert figures.total.rhp == 4.0
    # A later reply is the complainant writing again: it reopens, as domain.md §4 says.
    await _reply(services, case.reference, "5 lampunya mati lagi", at(D(2026, 2, 2), 10))
    async with services.db.session() as session:
        again = await get_case(session, case.reference)
    assert (again.status, again.rating) == (ComplaintStatus.IN_PROCESS, 4)
