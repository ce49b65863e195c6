"""The Telegram renderer: a neutral outbox row becomes the chat messages Telegram's own
payload shape did, and rows queued before the upgrade still render (issue #10)."""

from __future__ import annotations

from typing import Any

from bot.i18n import t
from bot.notify.message import OutboundMessage
from bot.notify.purposes import Purpose
from bot.services import Services
from channels.telegram import keyboards
from channels.telegram.render import TEXT_LIMIT, TelegramPart, TelegramRenderer
from store.enums import CaseKind
from store.models import Case, OutboxMessage
from tests.support.builders import make_case


def row(
    case: Case | None, payload: dict[str, Any], purpose: Purpose, body: str = "Kartu"
) -> OutboxMessage:
    """A Telegram row to chat -100500 about `case`."""
    return OutboxMessage(
        id=3, dedup_key="card:1", channel="telegram", recipient="-100500", purpose=purpose,
        case_id=case.id if case else None, body=body, payload=payload,
    )  # fmt: skip


def neutral(case: Case | None, body: str = "Kartu", **fields: Any) -> dict[str, Any]:
    """The payload `notify` writes about `case` with `fields`."""
    return OutboundMessage(
        text=body, language="id", case_id=case.id if case else None, **fields
    ).payload()


def shown(parts: tuple[TelegramPart, ...]) -> list[tuple[Any, ...]]:
    """The parts as plain values (text, file name, buttons, the message replied to)."""
    return [
        (
            p.text,
            p.document.filename if p.document else None,
            p.markup.to_dict() if p.markup else None,
            p.reply.message_id if p.reply else None,
        )
        for p in parts
    ]


async def test_a_case_card_offers_its_actions_as_buttons(services: Services) -> None:
    case = await make_case(services)
    rendering = await TelegramRenderer(services).render(
        row(case, neutral(case, actions=("claim", "reveal")), Purpose.CASE_CARD)
    )
    assert rendering.chat_id == -100500 and rendering.case_id == case.id
    buttons = keyboards.desk_actions(case.id, ["claim", "reveal"], services.settings.language)  # type: ignore[arg-type]
    assert buttons is not None
    assert shown(rendering.parts) == [("Kartu", None, buttons.to_dict(), None)]


async def test_a_row_queued_before_the_upgrade_renders_as_before(services: Services) -> None:
    case = await make_case(services)
    render = TelegramRenderer(services)
    old = {"actions": ["claim"], "case_id": case.id, "reply_to": 77, "attachments": []}
    new = neutral(case, actions=("claim",), in_reply_to="77")
    before = await render.render(row(case, old, Purpose.CASE_CARD))
    after = await render.render(row(case, new, Purpose.CASE_CARD))
    assert shown(before.parts) == shown(after.parts)
    assert shown(before.parts)[0][3] == 77 and before.case_id == after.case_id == case.id
    bare = {"actions": [], "case_id": None, "reply_to": None, "attachments": []}
    reminder = await render.render(row(None, bare, Purpose.REMINDER, "Pengingat"))
    assert shown(reminder.parts) == [("Pengingat", None, None, None)]


async def test_a_long_text_is_cut_at_line_ends_with_the_buttons_under_the_last_piece(
    services: Services,
) -> None:
    case = await make_case(services)
    body = "\n".join(f"baris {i:05d} " + "x" * 90 for i in range(60))  # about 6,000 characters
    rendering = await TelegramRenderer(services).render(
        row(case, neutral(case, body, actions=("claim",), in_reply_to="5"), Purpose.CASE_CARD, body)
    )
    first, last = shown(rendering.parts)
    assert len(first[0]) <= TEXT_LIMIT and first[0] + "\n" + last[0] == body
    assert (first[2], first[3]) == (None, 5) and (last[2] is not None, last[3]) == (True, None)


async def test_survey_and_rating_rows_open_their_questions(services: Services) -> None:
    case = await make_case(services, kind=CaseKind.COMPLAINT)
    render = TelegramRenderer(services)
    survey = await render.render(
        row(case, neutral(case, "Mohon nilai"), Purpose.SURVEY_INVITATION, "Mohon nilai")
    )
    (invite, question) = shown(survey.parts)
    assert invite[0] == "Mohon nilai\n\n" + t("sched.requester.survey_invite", "id")
    assert "1/9" in question[0] and question[2] is not None
    rating = await render.render(row(case, neutral(case, "Nilai"), Purpose.RATING_REQUEST, "Nilai"))
    (ask,) = shown(rating.parts)
    assert ask[0] == "Nilai\n\n" + t("annual.rating.how_tap", "id")
    assert ask[2] == keyboards.rating(case.id, case.language).to_dict()  # type: ignore[arg-type]
    # A row queued before the upgrade was written for the chat: nothing is added to it.
    bare = {"actions": [], "case_id": case.id, "reply_to": None, "attachments": []}
    old = await render.render(row(case, bare, Purpose.RATING_REQUEST, "Nilai, ketuk"))
    assert shown(old.parts)[0][0] == "Nilai, ketuk"
