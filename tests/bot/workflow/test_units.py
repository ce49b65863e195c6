"""Disposing to a unit that does not exist is the officer's mistake, not a database error."""

from __future__ import annotations

import pytest

from bot.errors import DomainError
from bot.services import Services
from bot.workflow import complaints, requests
from tests.bot.workflow.helpers import open_complaint, open_request, reload, step, wib


async def test_dispose_request_to_unknown_unit_is_a_domain_error(services: Services) -> None:
    case = await open_request(services, "2026-01-05")
    with pytest.raises(DomainError) as err:
        async with step(services, case, wib("2026-01-06")) as (session, fresh, rules, now):
            await requests.dispose(session, fresh, unit_id=9999, rules=rules, actor="test", now=now)
    assert err.value.key == "workflow.unit_unknown"
    assert (await reload(services, case)).status == case.status


async def test_verify_complaint_to_unknown_unit_is_a_domain_error(services: Services) -> None:
    case = await open_complaint(services, "2026-01-05")
    with pytest.raises(DomainError) as err:
        async with step(services, case, wib("2026-01-06")) as (session, fresh, rules, now):
            await complaints.verify_and_dispose(
                session, fresh, unit_id=9999, rules=rules, actor="test", now=now
            )
    assert err.value.key == "workflow.unit_unknown"
    assert (await reload(services, case)).unit_id is None
