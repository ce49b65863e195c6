"""Issue #9, the officer's side: an identity change asked for by email waits on the case until a
PPID officer confirms it (the requester is updated) or rejects it (nothing changes), once, from
`loket cases identity`; the citizen is told either way, and values stay masked unless revealed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli.main import app
from bot.notify.officer_cards import card_text
from store.enums import Role
from store.models import Case, Event, Officer, OutboxMessage, Requester, Unit
from tests.channels.email.conftest import Deliver
from tests.channels.email.test_ingest import SITI, mark_sent, rows
from tests.channels.email.test_thread_trust import complete_request
from tests.support.emails import make_email
from tests.support.timeline import outbox_rows

NEW_NIK = "3171014501900009"
CHANGE = f"Nama lengkap: Siti Aminah Putri\nNIK: {NEW_NIK}\nAlamat: Jl. Baru No. 2\n"


class Loket:
    """`loket ...` against the test's database, each run in a thread of its own (asyncio.run)."""

    def __init__(self, db_url: str) -> None:
        self.db_url, self.runner = db_url, CliRunner()

    async def __call__(self, *args: str) -> Result:
        env = {"DATABASE_URL": self.db_url, "LANGUAGE": "id"}
        return await asyncio.to_thread(self.runner.invoke, app, list(args), env=env)


@pytest.fixture
def loket(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Loket:
    monkeypatch.chdir(tmp_path)
    return Loket(db_url)


async def pending_case(deliver: Deliver) -> Case:
    """Siti's complete request, then her reply on our thread asking to change name and NIK."""
    return await pending_case_of(deliver, await complete_request(deliver))


async def pending_case_of(deliver: Deliver, case: Case) -> Case:
    """`case`, after Siti's reply on our thread asking to change her name and NIK."""
    (ack,) = await rows(deliver.services, OutboxMessage, OutboxMessage.case_id == case.id)
    sent_id = await mark_sent(deliver.services, ack)
    change = make_email(sender=SITI, subject="Re: Tanda terima", body=CHANGE,
                        in_reply_to=f"<{sent_id}>", message_id="<chg@w>")  # fmt: skip
    assert (await deliver(change)).disposition == "appended"
    return case


async def add_officers(deliver: Deliver, case: Case) -> dict[str, int]:
    """A PPID Utama, and a unit officer of the unit the case is disposed to."""
    async with deliver.services.db.transaction() as session:
        unit = Unit(code="bpkad", name="BPKAD")
        session.add(unit)
        await session.flush()
        stored = await session.get(Case, case.id)
        assert stored is not None
        stored.unit_id = unit.id
        people = {
            "ppid": Officer(name="Dewi PPID", role=Role.PPID_UTAMA.value),
            "unit": Officer(name="Anto Unit", role=Role.UNIT_OFFICER.value, unit_id=unit.id),
        }
        for officer in people.values():
            session.add(officer)
        await session.flush()
        return {k: int(o.id or 0) for k, o in people.items()}


async def requester_of(deliver: Deliver, case: Case) -> Requester:
    (requester,) = await rows(deliver.services, Requester, Requester.id == case.requester_id)
    return requester


async def events(deliver: Deliver, case: Case, action: str) -> list[Event]:
    return await rows(deliver.services, Event, Event.case_id == case.id, Event.action == action)


async def request_number(loket: Loket, case: Case) -> int:
    listed = await loket("cases", "identity", case.reference, "--json")
    assert listed.exit_code == 0, listed.output
    (request,) = json.loads(listed.output)
    return int(request["number"])


async def test_confirmed_by_a_ppid_the_change_is_applied_audited_and_the_citizen_told(
    deliver: Deliver, loket: Loket
) -> None:
    case = await pending_case(deliver)
    ids = await add_officers(deliver, case)
    listed = await loket("cases", "identity", case.reference)
    assert listed.exit_code == 0 and "#" in listed.output
    assert NEW_NIK not in listed.output and "Siti Aminah Putri" not in listed.output
    assert "3171********0009" in listed.output  # masked, yet recognisable to the officer
    show = await loket("cases", "show", case.reference)
    assert "menunggu konfirmasi" in show.output and NEW_NIK not in show.output
    number = await request_number(loket, case)

    done = await loket("cases", "identity", case.reference, "--confirm", str(number),
                       "--officer", str(ids["ppid"]))  # fmt: skip
    assert done.exit_code == 0, done.output
    requester = await requester_of(deliver, case)
    assert (requester.name, requester.nik) == ("Siti Aminah Putri", NEW_NIK)
    (confirmed,) = await events(deliver, case, "identity_change_confirmed")
    assert confirmed.actor == f"officer:{ids['ppid']}:Dewi PPID"
    assert confirmed.data == {"request": number, "fields": ["name", "nik"]}
    (told,) = await outbox_rows(deliver.services, "identity_change_decided")
    assert told.recipient == "siti.aminah@warga.test" and told.case_id == case.id
    assert "dikonfirmasi" in told.body and NEW_NIK not in told.body
    assert "Siti Aminah Putri" not in told.body
    after = await loket("cases", "identity", case.reference)
    assert after.exit_code == 0 and "tidak memiliki perubahan identitas" in after.output

    # Deciding the same request again is refused with one sentence, and changes nothing.
    again = await loket("cases", "identity", case.reference, "--reject", str(number),
                        "--officer", str(ids["ppid"]))  # fmt: skip
    assert again.exit_code == 2 and "sudah diputuskan" in again.output
    assert len(again.output.strip().splitlines()) == 1
    assert await events(deliver, case, "identity_change_rejected") == []
    assert len(await outbox_rows(deliver.services, "identity_change_decided")) == 1


async def test_rejected_nothing_changes_and_the_citizen_is_told(
    deliver: Deliver, loket: Loket
) -> None:
    case = await pending_case(deliver)
    ids = await add_officers(deliver, case)
    number = await request_number(loket, case)
    done = await loket("cases", "identity", case.reference, "--reject", str(number),
                       "--officer", "Dewi PPID")  # fmt: skip
    assert done.exit_code == 0, done.output
    requester = await requester_of(deliver, case)
    assert (requester.name, requester.nik) == ("Siti Aminah", "3171014501900001")
    (rejected,) = await events(deliver, case, "identity_change_rejected")
    assert rejected.actor == f"officer:{ids['ppid']}:Dewi PPID"
    (told,) = await outbox_rows(deliver.services, "identity_change_decided")
    assert "tidak dapat kami terima" in told.body and NEW_NIK not in told.body


async def test_a_unit_officer_may_not_decide_and_the_attempt_is_audited(
    deliver: Deliver, loket: Loket
) -> None:
    case = await pending_case(deliver)
    ids = await add_officers(deliver, case)
    number = await request_number(loket, case)
    denied = await loket("cases", "identity", case.reference, "--confirm", str(number),
                         "--officer", str(ids["unit"]))  # fmt: skip
    assert denied.exit_code == 1 and "Traceback" not in denied.output
    requester = await requester_of(deliver, case)
    assert requester.nik == "3171014501900001"
    (refused,) = await events(deliver, case, "permission_denied")
    assert refused.data["attempted"] == "confirm_identity"
    assert await outbox_rows(deliver.services, "identity_change_decided") == []
    assert await request_number(loket, case) == number  # still pending


async def test_bad_input_is_one_sentence_with_status_2(deliver: Deliver, loket: Loket) -> None:
    case = await pending_case(deliver)
    await add_officers(deliver, case)
    number = await request_number(loket, case)
    for args in (
        ("--confirm", str(number)),  # no officer named
        ("--confirm", str(number), "--reject", str(number), "--officer", "Dewi PPID"),
        ("--confirm", str(number + 999), "--officer", "Dewi PPID"),
    ):
        bad = await loket("cases", "identity", case.reference, *args)
        assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1, bad.output
    assert await events(deliver, case, "identity_change_confirmed") == []


async def test_reveal_shows_the_values_and_is_audited(deliver: Deliver, loket: Loket) -> None:
    case = await pending_case(deliver)
    shown = await loket("cases", "identity", case.reference, "--reveal")
    assert shown.exit_code == 0 and NEW_NIK in shown.output
    (revealed,) = await events(deliver, case, "personal_data_revealed")
    assert revealed.data == {"via": "cli cases identity"}


async def test_the_officers_card_says_a_change_waits_without_its_values(
    deliver: Deliver, loket: Loket
) -> None:
    case = await complete_request(deliver)
    async with deliver.services.db.session() as session:
        assert "perubahan identitas" not in await card_text(session, case, "id")
    case = await pending_case_of(deliver, case)
    async with deliver.services.db.session() as session:
        text = await card_text(session, case, "id")
    assert "perubahan identitas yang menunggu" in text
    assert NEW_NIK not in text and "Putri" not in text
