"""What a decision records for its written notice: the form the citizen asked for by default,
free electronic copies, the delivery (checked), and a refusal explained in plain words."""

from __future__ import annotations

import pytest

from bot.errors import DomainError
from bot.notify.requester_updates import update_text
from bot.services import Services
from bot.workflow import requests
from tests.bot.workflow.helpers import open_request, reload, step, wib


async def test_a_grant_defaults_to_the_form_and_delivery_asked_for(services: Services) -> None:
    case = await open_request(
        services, "2026-01-05", obtain_method="salinan_hardcopy", delivery_method="pos"
    )
    async with step(services, case, wib("2026-01-07")) as (s, c, rules, now):
        await requests.decide(
            s,
            c,
            decision="granted_full",
            rules=rules,
            actor="t",
            now=now,
            fee_amount=15000,
            time_to_provide="3 hari kerja",
        )
    stored = await reload(services, case)
    assert (stored.information_form, stored.delivery_method, stored.fee_amount) == (
        "hardcopy",
        "pos",
        15000,
    )


async def test_an_electronic_copy_is_free_and_delivery_is_checked(services: Services) -> None:
    case = await open_request(services, "2026-01-05")  # softcopy by email
    async with step(services, case, wib("2026-01-07")) as (s, c, rules, now):
        with pytest.raises(DomainError) as caught:
            await requests.decide(
                s, c, decision="granted_full", rules=rules, actor="t", now=now, fee_amount=5000
            )
        assert caught.value.key == "letters.softcopy_is_free"
        with pytest.raises(DomainError):
            await requests.decide(
                s,
                c,
                decision="granted_full",
                rules=rules,
                actor="t",
                now=now,
                delivery_method="merpati",
            )
        await requests.decide(
            s,
            c,
            decision="granted_full",
            rules=rules,
            actor="t",
            now=now,
            delivery_method="ambil_langsung",
            time_to_provide="terlampir",
        )
    stored = await reload(services, case)
    assert (stored.information_form, stored.delivery_method) == ("softcopy", "ambil_langsung")


async def test_the_refusal_update_explains_the_ground_and_the_consequence_test(
    services: Services,
) -> None:
    case = await open_request(services, "2026-01-05")
    async with step(services, case, wib("2026-01-07")) as (s, c, rules, now):
        await requests.decide(
            s,
            c,
            decision="refused",
            refusal_ground="h",
            rules=rules,
            actor="t",
            now=now,
            consequence_test="Rekam medis pasien.",
        )
        text = await update_text(s, c, "decide", rules)
    assert text is not None
    assert "Pasal 17 huruf h" in text and "rahasia pribadi" in text
    assert "Rekam medis pasien." in text


async def test_the_grant_update_names_form_fee_time_and_delivery(services: Services) -> None:
    case = await open_request(services, "2026-01-05", obtain_method="salinan_hardcopy")
    async with step(services, case, wib("2026-01-07")) as (s, c, rules, now):
        await requests.decide(
            s,
            c,
            decision="granted_full",
            rules=rules,
            actor="t",
            now=now,
            fee_amount=25000,
            time_to_provide="5 hari kerja",
        )
        text = await update_text(s, c, "decide", rules)
    assert text is not None
    assert "Hardcopy (salinan cetak)" in text and "Rp25.000" in text
    assert "5 hari kerja" in text and "Email" in text
