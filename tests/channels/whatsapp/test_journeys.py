"""The citizen journeys on WhatsApp through the Cloud API emulator and the real HTTP server:
the citizen only taps what the bot's buttons and lists offer, or types an answer."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.cases.opening import get_case
from bot.i18n import t
from bot.intake.door import InboundMessage
from bot.services import Services
from bot.workflow import complaints
from bot.workflow.rules import load_rules
from bot.workflow.survey import survey_scores
from sandbox.whatsapp_api.emulator import CloudApiEmulator
from scheduler.dispatch import Dispatcher
from scheduler.jobs.ratings import rating_requests
from scheduler.ratelimit import RateLimiter
from store.enums import CaseKind, Channel
from store.models import Attachment, Case, Contact, Message, OutboxMessage, Requester
from tests.channels.telegram.helpers import refuse
from tests.channels.whatsapp.citizen import Person, options, texts
from tests.channels.whatsapp.conftest import WhatsAppHarness
from tests.support.builders import COMPLETE_REQUEST, make_unit

ADDRESS = "+6281234567890"
PHOTO = b"\xff\xd8\xff\xe0" + b"lampu-jalan-mati" * 40


def bind_dispatcher(wa: WhatsAppHarness) -> Dispatcher:
    """The dispatcher of the process, as `loket run` builds it (it binds the sender)."""
    assert wa.parts is not None and wa.parts.sender is not None
    return Dispatcher(wa.services.db, {"whatsapp": wa.parts.sender}, wa.services.clock,
                      settings=wa.services.settings, limiter=RateLimiter({}))  # fmt: skip


async def test_a_complete_information_request_gets_its_number_at_once(
    wa: WhatsAppHarness,
) -> None:
    bind_dispatcher(wa)
    siti = Person(wa)
    menu = await siti.type("Halo")
    assert "m:request" in options(menu) and len(options(menu)) <= 10
    q = await siti.tap(menu, "m:request")
    assert t("form.ask.name", "id") in q.text
    for answer, next_field in (
        ("Siti Aminah", "identity"),
        ("3171014501900001", "address"),
        ("Jl. Merdeka No. 10, Gambir, Jakarta Pusat", "contact"),
        ("0812 3456 7890", "information_requested"),
        ("Salinan laporan realisasi anggaran dinas tahun 2025", "purpose"),
        ("Bahan penelitian skripsi", "obtain_method"),
    ):
        q = await siti.type(answer)
        assert t(f"form.ask.{next_field}", "id") in q.text, q.text
    q = await siti.tap(q, ":salinan_softcopy")  # a list: six ways are more than 3 buttons
    assert q.body["interactive"]["type"] == "list"
    q = await siti.tap(q, ":email")
    assert t("form.ask.email", "id") in q.text
    summary = await siti.type("siti.aminah@example.com")
    assert "Siti Aminah" in summary.text or "Siti Aminah" in texts(siti.last)
    fields = await siti.tap(summary, "e:list")  # change a field from the summary
    q = await siti.tap(fields, "e:purpose")
    assert "Bahan penelitian skripsi" in q.text  # its current answer is shown
    summary = await siti.type("Bahan penelitian skripsi tentang transparansi anggaran")
    assert "transparansi anggaran" in texts(siti.last)
    await siti.tap(summary, "ok")
    async with wa.services.db.session() as session:
        (case,) = (await session.exec(select(Case))).all()
        ack = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.purpose == "acknowledgement")
            )
        ).one()
        requester = await session.get(Requester, case.requester_id)
    assert ack.status == "sent" and ack.channel == "whatsapp"  # through the outbox, at once
    assert case.reference in texts(siti.last)
    assert requester is not None
    assert (requester.name, requester.nik) == ("Siti Aminah", "3171014501900001")
    assert (case.channel, case.kind) == ("whatsapp", "information_request")
    assert case.purpose == "Bahan penelitian skripsi tentang transparansi anggaran"
    assert (case.obtain_method, case.delivery_method) == ("salinan_softcopy", "email")
    assert wa.api.refused == []  # every message kept to WhatsApp's limits


async def test_a_complaint_with_location_photo_and_anonymity(wa: WhatsAppHarness) -> None:
    bind_dispatcher(wa)
    dewi = Person(wa)
    q = await dewi.tap(await dewi.type("menu"), "m:complaint")
    q = await dewi.type("Lampu jalan di depan pasar mati sejak seminggu, gelap dan rawan.")
    q = await dewi.tap(q, ":pengaduan")
    q = await dewi.type("Penerangan jalan")
    assert t("form.ask.location", "id") in q.text
    q = await dewi.send(dewi.citizen.location(-6.2, 106.816666, name="Pasar Baru"))
    q = await dewi.tap(q, ":today")
    assert t("form.ask.evidence", "id") in q.text
    q = await dewi.send(dewi.citizen.media("image", PHOTO, "image/jpeg"))
    q = await dewi.tap(q, ":done")
    assert t("form.ask.anonymous", "id") in q.text
    q = await dewi.tap(q, "f:anonymous:yes")
    summary = await dewi.tap(q, "f:confidential:no")
    await dewi.tap(summary, "ok")
    async with wa.services.db.session() as session:
        (case,) = (await session.exec(select(Case))).all()
        (photo,) = (await session.exec(select(Attachment))).all()
    assert case.kind == "complaint" and case.anonymous is True and case.confidential is False
    assert "-6.20000, 106.81667" in (case.location or "")
    assert photo.case_id == case.id and wa.services.blobs.get(photo.sha256) == PHOTO
    assert case.reference in texts(dewi.last)
    assert wa.api.refused == []


async def whatsapp_case(services: Services, tag: str, **fields: Any) -> Case:
    """A request filed on WhatsApp by the citizen (its acknowledgement left queued)."""
    details = {**COMPLETE_REQUEST, **fields}
    result = await services.intake.handle_inbound(
        InboundMessage(
            channel=Channel.WHATSAPP,
            external_id=f"seed:{tag}",
            sender=ADDRESS,
            sender_name=details["name"],
            text=details["information_requested"],
            received_at=services.clock.now(),
            new_case_kind=CaseKind.INFORMATION_REQUEST,
            fields=details,
        )
    )
    async with services.db.session() as session:
        return await get_case(session, result.case_reference or "")


async def test_status_with_two_cases_offers_a_picker_then_an_objection(
    wa: WhatsAppHarness,
) -> None:
    first = await whatsapp_case(wa.services, "1")
    second = await refuse(wa.services, await whatsapp_case(wa.services, "2"))
    siti = Person(wa)
    picker = await siti.type("status")
    assert set(options(picker)) == {f"st:{first.id}", f"st:{second.id}"}
    shown = await siti.tap(picker, f"st:{second.id}")
    assert second.reference in shown.text
    grounds = await siti.tap(shown, f"o:{second.id}")  # "object" offered: it was refused
    assert second.reference in grounds.text
    ask = await siti.tap(grounds, "og:a")
    short = await siti.type("tidak")
    assert t("form.err.too_short", "id", minimum=10) in short.text
    summary = await siti.type("Informasi anggaran seharusnya terbuka untuk publik")
    assert second.reference in summary.text and ask.text != summary.text
    receipt = await siti.tap(summary, "os")
    async with wa.services.db.session() as session:
        objection = (await session.exec(select(Case).where(Case.kind == "objection"))).one()
    assert objection.parent_case_id == second.id and objection.objection_ground == "a"
    assert objection.reference in receipt.text


async def test_the_survey_and_the_language_switch(wa: WhatsAppHarness) -> None:
    case = await refuse(wa.services, await whatsapp_case(wa.services, "1"))
    siti = Person(wa)
    menu = await siti.type("halo")
    english = await siti.tap(menu, "l:en")
    assert t("tg.welcome", "en", body=wa.services.settings.body_name) in english.text
    question = await siti.tap(english, "m:survey")
    assert "1/9" in question.text and "How do you rate" in question.text
    for element in range(1, 10):
        question = await siti.tap(question, f"sv:{case.id}:{element}:{4 if element % 2 else 3}")
    assert case.reference in question.text and "Thank you" in question.text
    async with wa.services.db.session() as session:
        scores = await survey_scores(session, case.id)  # type: ignore[arg-type]
    assert scores == {e: 4 if e % 2 else 3 for e in range(1, 10)}
    q = await siti.tap(await siti.type("menu"), "m:request")
    assert t("form.ask.name", "en") in q.text  # the forms speak English now


async def test_a_restart_mid_form_continues_where_the_citizen_was(
    wa: WhatsAppHarness, whatsapp_api: CloudApiEmulator
) -> None:
    siti = Person(wa)
    await siti.tap(await siti.type("menu"), "m:request")
    await siti.type("Siti Aminah")
    await wa.stop()
    await wa.start()  # a new process on the same store
    q = await siti.type("3171014501900001")
    assert t("form.ask.address", "id") in q.text
    await siti.citizen.send(siti.citizen.message("sticker", {"id": "1", "mime_type": "image/webp"}))
    await wa.handled()
    await wa.dispatch()
    assert "belum dapat kami baca" in texts(siti.new())  # answered, and kept
    async with wa.services.db.session() as session:
        kept = (await session.exec(select(Message))).all()
    assert [m.meta["whatsapp_type"] for m in kept] == ["sticker"]
    q = await siti.type("Jl. Merdeka No. 10, Gambir, Jakarta Pusat")
    assert t("form.ask.contact", "id") in q.text  # the form goes on


async def test_forged_or_foreign_reply_ids_show_nothing_and_change_nothing(
    wa: WhatsAppHarness,
) -> None:
    others = await refuse(wa.services, await whatsapp_case(wa.services, "1"))
    async with wa.services.db.transaction() as session:  # the case belongs to someone else
        contact = (await session.exec(select(Contact))).one()
        contact.value = "+6289999999999"
        session.add(contact)
    intruder = Person(wa)
    for forged in (f"st:{others.id}", f"o:{others.id}", f"sv:{others.id}:1:4", "st:x", "zz:1"):
        answer = await intruder.send(intruder.citizen.tap(forged, "?", kind="list_reply"))
        assert others.reference not in texts(intruder.last), forged
        assert t("whatsapp.stale_menu", "id") in answer.text, forged
    async with wa.services.db.session() as session:
        assert await survey_scores(session, others.id) == {}  # type: ignore[arg-type]
        assert (await session.exec(select(Case).where(Case.kind == "objection"))).all() == []


async def test_status_looked_up_mid_form_keeps_the_form(wa: WhatsAppHarness) -> None:
    await whatsapp_case(wa.services, "1")
    siti = Person(wa)
    await siti.tap(await siti.type("menu"), "m:complaint")
    shown = await siti.type("status")
    assert "PPID/2026/000001" in texts(siti.last)
    assert t("form.ask.description", "id") in shown.text  # and the question comes again


async def test_a_done_complaint_is_rated_by_tapping_a_score(wa: WhatsAppHarness) -> None:
    services = wa.services
    filed = await services.intake.handle_inbound(
        InboundMessage(
            channel=Channel.WHATSAPP, external_id="seed:complaint", sender=ADDRESS,
            sender_name="Siti", text="Lampu jalan di Jl. Melati mati sejak seminggu.",
            received_at=services.clock.now(), new_case_kind=CaseKind.COMPLAINT,
            fields={"description": "Lampu jalan mati", "classification": "pengaduan"},
        )
    )  # fmt: skip
    unit = await make_unit(services)
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        case = await get_case(session, filed.case_reference or "")
        now = services.clock.now()
        await complaints.verify_and_dispose(
            session, case, unit_id=unit.id, rules=rules, actor="t", now=now
        )
        await complaints.post_followup(
            session, case, text="Lampu sudah diganti.", rules=rules, actor="t", now=now
        )
        await complaints.close(session, case, rules=rules, actor="t", now=now)
        assert await rating_requests(session, rules, now) == 1
    siti = Person(wa)
    await siti.type("halo")  # the citizen writes: the 24 hours are open
    await wa.dispatch()
    asked = next(s for s in reversed(siti.new()) if s.type == "interactive")
    assert f"rt:{case.id}:5" in options(asked)
    thanks = await siti.tap(asked, f"rt:{case.id}:5")
    assert thanks.text == t("annual.rating.thanks", "id", score=5)
    again = await siti.tap(asked, f"rt:{case.id}:4")  # a change of mind: the last tap counts
    assert again.text == t("annual.rating.thanks", "id", score=4)
    async with services.db.session() as session:
        rated = await get_case(session, case.reference)
    assert (rated.rating, rated.status) == (4, "done")
