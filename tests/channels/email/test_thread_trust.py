"""Issue #9, thread trust: only proofs we issued (the signed reply address, our own Message-IDs)
prove a thread; a citizen's Message-ID proves nothing about a different sender, details are
taken only from a contact on the case, and identity fields never change without an officer."""

from __future__ import annotations

from typing import Any

from bot.services import Services
from store.models import Case, Event, Message, OutboxMessage, Requester
from tests.channels.email.conftest import Deliver
from tests.channels.email.test_ingest import SITI, mark_sent, request, rows
from tests.support.emails import INDONESIAN_REQUESTS, make_email
from tests.support.timeline import outbox_rows

INTRUDER = "Penyusup <penyusup@lain.test>"
REWRITE = (
    "Nama lengkap: Penyusup Jahat\nNIK: 3171014501900002\n"
    "Alamat: Jl. Penyusup No. 9, Bekasi\nNomor telepon: 0813-0000-0000\n"
)


async def snapshot(services: Services, case: Case) -> dict[str, Any]:
    """Everything on the case an intruder might change."""
    (fresh,) = await rows(services, Case, Case.id == case.id)
    (requester,) = await rows(services, Requester, Requester.id == case.requester_id)
    return {
        "case": fresh.model_dump(),
        "requester": requester.model_dump(),
        "events": [e.model_dump() for e in await rows(services, Event, Event.case_id == case.id)],
        "messages": [m.id for m in await rows(services, Message, Message.case_id == case.id)],
        "outbox": [o.id for o in await outbox_rows(services)],
    }


async def complete_request(deliver: Deliver) -> Case:
    """Siti's complete request (name, NIK, address ... all given)."""
    outcome = await deliver(INDONESIAN_REQUESTS["lengkap"])
    assert outcome.disposition == "new_case"
    (case,) = await rows(deliver.services, Case, Case.reference == outcome.case_reference)
    return case


async def test_a_reply_with_the_citizens_message_id_from_another_sender_changes_nothing(
    deliver: Deliver,
) -> None:
    case = await complete_request(deliver)
    before = await snapshot(deliver.services, case)
    for n, headers in enumerate(
        ({"in_reply_to": "<id-lengkap@warga.test>"}, {"references": "<id-lengkap@warga.test>"})
    ):
        intruder = make_email(sender=INTRUDER, subject="Re: Permohonan data realisasi APBD 2025",
                              message_id=f"<intrude{n}@lain.test>", body=REWRITE,
                              **headers)  # fmt: skip
        outcome = await deliver(intruder)
        assert (outcome.disposition, outcome.reason) == ("review", "unproven_reply")
        assert outcome.case_reference is None
    assert await snapshot(deliver.services, case) == before
    (requester,) = await rows(deliver.services, Requester, Requester.id == case.requester_id)
    assert (requester.name, requester.nik) == ("Siti Aminah", "3171014501900001")
    assert not any(o.recipient == "penyusup@lain.test" for o in await outbox_rows(deliver.services))


async def test_the_citizen_may_still_thread_on_her_own_message_id(deliver: Deliver) -> None:
    case, _ = await request(deliver)
    outcome = await deliver(make_email(sender=SITI, subject="Tambahan", message_id="<own@w>",
                                       references="<req-1@warga.test>"))  # fmt: skip
    assert (outcome.disposition, outcome.reason) == ("appended", "contact_message_id")
    assert outcome.case_reference == case.reference


async def test_details_on_our_thread_from_someone_not_on_the_case_go_to_review(
    deliver: Deliver,
) -> None:
    case = await complete_request(deliver)
    (ack,) = await rows(deliver.services, OutboxMessage, OutboxMessage.case_id == case.id)
    sent_id = await mark_sent(deliver.services, ack)
    before = await snapshot(deliver.services, case)
    # Siti forwarded our acknowledgement; whoever got it answers with "Field: value" lines.
    forwarded = make_email(sender=INTRUDER, subject="Re: Tanda terima", body=REWRITE,
                           in_reply_to=f"<{sent_id}>", message_id="<fw@lain.test>")  # fmt: skip
    outcome = await deliver(forwarded)
    assert (outcome.disposition, outcome.reason) == ("review", "details_not_from_contact")
    assert await snapshot(deliver.services, case) == before


async def test_a_stranger_on_our_thread_is_appended_but_never_answered(deliver: Deliver) -> None:
    case, ack = await request(deliver)
    sent_id = await mark_sent(deliver.services, ack)
    outcome = await deliver(
        make_email(sender=INTRUDER, subject="Re: x", body="Saya kuasa hukumnya.",
                   in_reply_to=f"<{sent_id}>", message_id="<st@lain.test>",
                   attachments=[("kuasa.pdf", b"x" * (deliver.services.settings
                                                      .attachment_max_bytes + 1))])
    )  # fmt: skip
    assert (outcome.disposition, outcome.case_reference) == ("appended", case.reference)
    assert not any(o.recipient == "penyusup@lain.test" for o in await outbox_rows(deliver.services))


async def test_an_identity_change_from_the_requester_waits_for_an_officer(
    deliver: Deliver,
) -> None:
    case = await complete_request(deliver)
    (ack,) = await rows(deliver.services, OutboxMessage, OutboxMessage.case_id == case.id)
    sent_id = await mark_sent(deliver.services, ack)
    body = "Nama lengkap: Siti Aminah Putri\nNIK: 3171014501900009\nAlamat: Jl. Baru No. 2\n"
    change = make_email(sender=SITI, subject="Re: Tanda terima", body=body,
                        in_reply_to=f"<{sent_id}>", message_id="<chg@w>")  # fmt: skip
    outcome = await deliver(change)
    assert (outcome.disposition, outcome.reason) == ("appended", "message_id")
    (requester,) = await rows(deliver.services, Requester, Requester.id == case.requester_id)
    assert (requester.name, requester.nik) == ("Siti Aminah", "3171014501900001")
    assert requester.address == "Jl. Baru No. 2"  # not an identity field: taken
    (pending,) = await rows(
        deliver.services, Event, Event.case_id == case.id,
        Event.action == "identity_change_requested",
    )  # fmt: skip
    assert pending.data["fields"] == {"name": "Siti Aminah Putri", "nik": "3171014501900009"}
    (details,) = await outbox_rows(deliver.services, "mail_details_received")
    assert details.recipient == "siti.aminah@warga.test"
    assert "petugas" in details.body and "3171014501900009" not in details.body
