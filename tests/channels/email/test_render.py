"""The email renderer: a neutral outbox row becomes the same mail as the email payload shape
of rows queued before the upgrade, which are still rendered (issue #10)."""

from __future__ import annotations

from typing import Any

from bot.i18n import t
from bot.notify.message import OutboundMessage
from bot.notify.purposes import Purpose
from bot.services import Services
from bot.workflow.survey import reply_form
from channels.email.render import EmailRenderer
from channels.email.threads import reference_from_address
from store.models import OutboxMessage
from tests.channels.email.conftest import revalidated

REFERENCE = "PPID/2026/000001"


def renderer(services: Services) -> EmailRenderer:
    """The renderer as `loket run` builds it (through the email sender)."""
    settings = revalidated(services.settings, mail_from="ppid@pemda.test")
    return EmailRenderer(settings, services.clock, services.db, services.blobs)


def row(payload: dict[str, Any], purpose: Purpose = Purpose.STATUS_UPDATE) -> OutboxMessage:
    """An email row to Siti with `payload`."""
    return OutboxMessage(
        id=9, dedup_key="update:1:decide", channel="email", recipient="siti@warga.test",
        purpose=purpose, subject=f"[{REFERENCE}] Keputusan", body="Permohonan Anda diputus.",
        payload=payload,
    )  # fmt: skip


def neutral(**fields: Any) -> dict[str, Any]:
    """The payload `notify` writes for the row's text with `fields`."""
    return OutboundMessage(text="Permohonan Anda diputus.", language="id", **fields).payload()


def headers(mail: Any) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in mail.items()]


def test_a_neutral_update_is_an_automatic_threaded_mail_with_the_cases_reply_to(
    services: Services,
) -> None:
    mail = renderer(services).compose(
        row(neutral(reply_case=REFERENCE, in_reply_to="req-1@warga.test"))
    )
    assert mail["Auto-Submitted"] == "auto-replied" and mail["X-Auto-Response-Suppress"] == "All"
    assert mail["In-Reply-To"] == mail["References"] == "<req-1@warga.test>"
    secret = services.settings.reply_secret.get_secret_value()
    assert reference_from_address(str(mail["Reply-To"]), secret) == REFERENCE
    assert mail["Subject"] == f"[{REFERENCE}] Keputusan"
    assert mail.get_content().strip() == "Permohonan Anda diputus."


def test_an_officers_words_are_not_marked_automatic_but_reach_the_case(
    services: Services,
) -> None:
    mail = renderer(services).compose(
        row(neutral(reply_case=REFERENCE, automatic=False), Purpose.OFFICER_REPLY)
    )
    assert mail["Auto-Submitted"] is None and mail["X-Auto-Response-Suppress"] is None
    assert mail["Reply-To"] is not None


def test_a_row_queued_before_the_upgrade_renders_as_the_same_mail(services: Services) -> None:
    render = renderer(services)
    for old, new in (
        (
            {"in_reply_to": "req-1@warga.test", "reply_token_case": REFERENCE,
             "auto_submitted": True},
            neutral(in_reply_to="req-1@warga.test", reply_case=REFERENCE),
        ),
        (
            {"in_reply_to": None, "reply_token_case": REFERENCE, "auto_submitted": False,
             "attachments": []},
            neutral(reply_case=REFERENCE, automatic=False),
        ),
        ({"in_reply_to": "x@y"}, neutral(in_reply_to="x@y", automatic=False)),  # intake's ack
    ):  # fmt: skip
        assert headers(render.compose(row(old))) == headers(render.compose(row(new)))


async def test_files_are_asked_for_only_when_the_row_carries_some(services: Services) -> None:
    render = renderer(services)
    assert await render.files(row(neutral(reply_case=REFERENCE))) == []
    assert await render.files(row({"in_reply_to": None, "auto_submitted": True})) == []


def test_an_invitation_says_how_to_answer_by_mail(services: Services) -> None:
    render = renderer(services)
    survey = render.compose(row(neutral(reply_case=REFERENCE), Purpose.SURVEY_INVITATION))
    assert survey.get_content().strip().endswith(reply_form("id").strip())
    rating = render.compose(row(neutral(reply_case=REFERENCE), Purpose.RATING_REQUEST))
    assert t("annual.rating.how_email", "id") in rating.get_content()
    old = {"in_reply_to": None, "reply_token_case": REFERENCE, "auto_submitted": True}
    legacy = render.compose(row(old, Purpose.RATING_REQUEST))  # written for email already
    assert legacy.get_content().strip() == "Permohonan Anda diputus."
