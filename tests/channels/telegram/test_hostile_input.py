"""Hostile and unusual Telegram input, as real Update JSON through python-telegram-bot's HTTP
stack and the Bot API emulator: every update type, forged and malformed callback data,
crashes, and names carrying invisible characters."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import select

from bot.services import Services
from bot.workflow.survey import survey_scores
from channels.telegram import keyboards
from store.enums import RequestStatus
from store.models import Case, Event, InboundUpdate, Message, Requester
from tests.channels.telegram.conftest import DESK_CHAT, UNIT_CHAT, TelegramHarness
from tests.channels.telegram.helpers import Desk, fetch, make_desk, refuse, telegram_case
from tests.support.builders import COMPLETE_REQUEST

APOLOGY = "terjadi gangguan"
EXPIRED = "Tombol ini sudah tidak berlaku."
NOW = int(time.time())
USER = {"id": 42, "is_bot": False, "first_name": "Siti", "language_code": "id"}
PRIVATE = {"id": 42, "type": "private", "first_name": "Siti"}
GROUP = {"id": UNIT_CHAT, "type": "supergroup", "title": "Unit"}
CHANNEL = {"id": -1005555, "type": "channel", "title": "Kanal Dinas"}
BOT = {"id": 123456, "is_bot": True, "first_name": "Loket", "username": "loket_test_bot"}


def apologies(tg: TelegramHarness) -> list[dict[str, Any]]:
    """Every apology the bot posted, in any chat."""
    return [m for m in tg.api.messages() if APOLOGY in m.get("text", "")]


def post(chat: dict[str, Any], message_id: int = 7, **content: Any) -> dict[str, Any]:
    """A message object as the Bot API sends it (no sender unless `content` has one)."""
    return {"message_id": message_id, "date": NOW, "chat": chat, **content}


def member(user: dict[str, Any], status: str) -> dict[str, Any]:
    return {"user": user, "status": status}


BOOST_SOURCE = {"source": "premium", "user": USER}
# One update of every kind Telegram sends besides a person's message or button tap.
OTHER_UPDATES: dict[str, dict[str, Any]] = {
    "channel_post": {"channel_post": post(CHANNEL, sender_chat=CHANNEL, text="Pengumuman")},
    "edited_channel_post": {
        "edited_channel_post": post(CHANNEL, sender_chat=CHANNEL, text="Ralat", edit_date=NOW)
    },
    "my_chat_member": {
        "my_chat_member": {
            "chat": GROUP,
            "from": USER,
            "date": NOW,
            "old_chat_member": member(BOT, "left"),
            "new_chat_member": member(BOT, "member"),
        }
    },
    "my_chat_member_blocked": {
        "my_chat_member": {
            "chat": PRIVATE,
            "from": USER,
            "date": NOW,
            "old_chat_member": member(BOT, "member"),
            "new_chat_member": {**member(BOT, "kicked"), "until_date": 0},
        }
    },
    "chat_member": {
        "chat": GROUP,
        "chat_member": {
            "chat": GROUP,
            "from": USER,
            "date": NOW,
            "old_chat_member": member(USER, "left"),
            "new_chat_member": member(USER, "member"),
        },
    },
    "chat_join_request": {
        "chat_join_request": {"chat": GROUP, "from": USER, "user_chat_id": 42, "date": NOW}
    },
    "inline_query": {"inline_query": {"id": "iq1", "from": USER, "query": "NIK", "offset": ""}},
    "chosen_inline_result": {
        "chosen_inline_result": {"result_id": "r1", "from": USER, "query": "NIK"}
    },
    "poll": {
        "poll": {
            "id": "p1",
            "question": "Puas?",
            "options": [
                {"text": "Ya", "voter_count": 1, "persistent_id": "o1"},
                {"text": "Tidak", "voter_count": 0, "persistent_id": "o2"},
            ],
            "total_voter_count": 1,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
    },
    "poll_answer": {
        "poll_answer": {
            "poll_id": "p1",
            "user": USER,
            "option_ids": [0],
            "option_persistent_ids": ["o1"],
        }
    },
    "message_reaction": {
        "message_reaction": {
            "chat": PRIVATE,
            "message_id": 1,
            "user": USER,
            "date": NOW,
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": "👍"}],
        }
    },
    "message_reaction_count": {
        "message_reaction_count": {
            "chat": CHANNEL,
            "message_id": 1,
            "date": NOW,
            "reactions": [{"type": {"type": "emoji", "emoji": "👍"}, "total_count": 3}],
        }
    },
    "chat_boost": {
        "chat_boost": {
            "chat": CHANNEL,
            "boost": {
                "boost_id": "b1",
                "add_date": NOW,
                "expiration_date": NOW + 86400,
                "source": BOOST_SOURCE,
            },
        }
    },
    "removed_chat_boost": {
        "removed_chat_boost": {
            "chat": CHANNEL,
            "boost_id": "b1",
            "remove_date": NOW,
            "source": BOOST_SOURCE,
        }
    },
    "business_connection": {
        "business_connection": {
            "id": "bc1",
            "user": USER,
            "user_chat_id": 42,
            "date": NOW,
            "is_enabled": True,
            "can_reply": True,
        }
    },
    "business_message": {
        "business_message": post(
            PRIVATE, 8, text="halo", business_connection_id="bc1", **{"from": USER}
        )
    },
    "edited_business_message": {
        "edited_business_message": post(
            PRIVATE, 8, text="halo!", edit_date=NOW, business_connection_id="bc1", **{"from": USER}
        )
    },
    "deleted_business_messages": {
        "deleted_business_messages": {
            "business_connection_id": "bc1",
            "chat": PRIVATE,
            "message_ids": [8],
        }
    },
    "shipping_query": {
        "shipping_query": {
            "id": "sq1",
            "from": USER,
            "invoice_payload": "x",
            "shipping_address": {
                "country_code": "ID",
                "state": "DKI",
                "city": "Jakarta",
                "street_line1": "Jl. Merdeka 1",
                "street_line2": "",
                "post_code": "10110",
            },
        }
    },
    "pre_checkout_query": {
        "pre_checkout_query": {
            "id": "pc1",
            "from": USER,
            "currency": "IDR",
            "total_amount": 10000,
            "invoice_payload": "x",
        }
    },
    "purchased_paid_media": {"purchased_paid_media": {"from": USER, "paid_media_payload": "x"}},
    "message_without_sender_in_group": {
        "message": post(GROUP, 30, sender_chat=GROUP, text="pengumuman admin anonim")
    },
    "message_without_sender_in_private": {"message": post(PRIVATE, 31, text="halo")},
    "edited_message_without_sender": {
        "edited_message": post(GROUP, 30, sender_chat=GROUP, text="ralat", edit_date=NOW)
    },
    "service_message": {"message": post(GROUP, 32, new_chat_members=[USER], **{"from": USER})},
    "group_dice": {"message": post(GROUP, 33, dice={"emoji": "🎲", "value": 4}, **{"from": USER})},
    "update_type_from_the_future": {"hologram": {"id": 1, "from": USER}},
}


SENDERS_MESSAGES = {"service_message", "group_dice"}


@pytest_asyncio.fixture
async def desk(tg_services: Services) -> Desk:
    """The body's staff."""
    return await make_desk(tg_services)


@pytest.mark.parametrize("name", sorted(OTHER_UPDATES))
async def test_an_update_of_any_kind_is_left_alone_without_an_error(
    tg: TelegramHarness, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await tg.api.push_update(OTHER_UPDATES[name])
    siti = tg.citizen(42)
    menu = await siti.send("/start")  # handled after it, in order: the bot is still fine
    assert "Selamat datang" in menu["text"]
    assert apologies(tg) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [m for m in tg.api.messages() if m["chat"]["id"] != 42] == []
    if name not in SENDERS_MESSAGES:  # those reach the features, which have nothing to do
        # another chat's update: handled side by side with Siti's, not necessarily before it
        await tg.api.wait_until(lambda: any("left alone" in r.getMessage() for r in caplog.records))
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_button_tap_without_its_message_gets_the_expired_answer(
    tg: TelegramHarness,
) -> None:
    query = {"id": "q1", "from": USER, "chat_instance": "1", "inline_message_id": "im1"}
    await tg.api.push_update({"callback_query": {**query, "data": "m:request"}})
    await tg.api.wait_until(lambda: len(tg.api.callback_answers) == 1)
    assert tg.api.callback_answers[0]["text"] == EXPIRED
    assert apologies(tg) == [] and tg.api.messages() == []


async def test_a_button_on_an_old_inaccessible_message_still_works(tg: TelegramHarness) -> None:
    menu = await tg.citizen(42).send("/start")
    old = {"chat": PRIVATE, "message_id": menu["message_id"], "date": 0}  # InaccessibleMessage
    await tg.api.push_update(
        {
            "callback_query": {
                "id": "q2",
                "from": USER,
                "chat_instance": "1",
                "message": old,
                "data": "l:en",
            }
        }
    )
    await tg.api.wait_until(lambda: "Welcome" in tg.api.current(menu)["text"])
    assert apologies(tg) == []


MALFORMED = [
    "",
    "nonsense",
    "m:",
    "m:request:extra",
    "m:delete_everything",
    "l:fr",
    "x:1",
    "a:claim",
    "a:claim:abc",
    "a:claim:-1",
    "a:claim:0",
    "a:claim:١٢",  # Arabic-Indic digits: str.isdigit() says yes, int() agrees, we do not
    "a:nuke:1",
    "du:1",
    "du:1:2:3",
    "dd:1:granted_everything",
    "dg:1:z",
    "aa:1:maybe",
    "sv:1:0:4",
    "sv:1:10:4",
    "sv:1:1:5",
    "sv:1:1:",
    "f:name",
    "f:no_such_field:x",
    "f:name:\u202eevil",
    "e:password",
    "og:z",
    "os:now",
    "ck:everything",
    "cc:pigeon",
    "k:" + "9" * 40,
    ":::",
    "\x00",
    "a:claim:1" + " " * 56,
    "k:" + "1" * 70,  # over Telegram's 64 bytes
    "🙂" * 16,
]


async def test_malformed_callback_data_gets_one_short_expired_answer(
    tg: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    case = await telegram_case(tg.services, 42)
    menu = await tg.citizen(42).send("/start")
    for n, data in enumerate(MALFORMED, start=1):
        await tg.api.push_callback(menu, data.replace(":1", f":{case.id}"), user_id=42)
        await tg.api.wait_until(lambda n=n: len(tg.api.callback_answers) == n)
    assert [a.get("text") for a in tg.api.callback_answers] == [EXPIRED] * len(MALFORMED)
    assert apologies(tg) == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    expired_logs = [r for r in caplog.records if "button expired" in r.getMessage()]
    assert len(expired_logs) == len(MALFORMED) and {r.levelno for r in expired_logs} == {
        logging.INFO
    }
    assert (await fetch(tg.services, case)).status == RequestStatus.REGISTERED


async def test_a_citizens_forged_officer_buttons_are_refused(
    tg: TelegramHarness, desk: Desk
) -> None:
    case = await telegram_case(tg.services, 42)
    siti = tg.citizen(42)
    menu = await siti.send("/start")
    forged = [
        f"a:claim:{case.id}",
        f"a:reveal:{case.id}",
        f"a:extend:{case.id}",
        f"a:decide:{case.id}",
        f"a:ask_complete:{case.id}",
        f"du:{case.id}:{desk.staff.unit_id}",
        f"dd:{case.id}:granted_full",
        f"dd:{case.id}:refused",
        f"dg:{case.id}:a",
        f"aa:{case.id}:upheld",
        f"ab:{case.id}",
        "ck:request",
        "cc:surat",
    ]
    for n, data in enumerate(forged, start=1):
        await tg.api.push_callback(menu, data, user_id=42)
        await tg.api.wait_until(lambda n=n: len(tg.api.callback_answers) == n)
    texts = [a.get("text") or "" for a in tg.api.callback_answers]
    assert all("hanya untuk petugas" in text for text in texts), texts
    stored = await fetch(tg.services, case)
    assert (stored.status, stored.assigned_officer_id, stored.unit_id) == (
        RequestStatus.REGISTERED,
        None,
        None,
    )
    assert apologies(tg) == []
    assert len(tg.api.messages(42)) == 1  # the menu only: no card, no reveal, no prompt
    async with tg.services.db.session() as session:
        denied = (
            await session.exec(select(Event).where(Event.action == "permission_denied"))
        ).all()
    assert len(denied) == len(forged)


async def test_an_officer_cannot_forge_a_button_their_role_does_not_offer(
    tg: TelegramHarness, desk: Desk
) -> None:
    case = await telegram_case(tg.services, 42)
    async with tg.services.db.transaction() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None
        stored.unit_id = desk.staff.unit_id  # disposed to dinkes
    # A unit officer (pejabat penghubung) of that unit does not decide; another unit's PPID
    # Pelaksana does not work it at all.
    card = {"message_id": 1, "date": NOW, "chat": tg.api.chat(UNIT_CHAT)}
    await tg.api.push_callback(card, f"dd:{case.id}:granted_full", user_id=desk.unit_officer)
    other = {"message_id": 1, "date": NOW, "chat": tg.api.chat(desk.other_chat)}
    await tg.api.push_callback(other, f"a:claim:{case.id}", user_id=desk.other_pelaksana)
    await tg.api.wait_until(lambda: len(tg.api.callback_answers) == 2)
    assert all("tidak mengizinkan" in a["text"] for a in tg.api.callback_answers)
    stored = await fetch(tg.services, case)
    assert stored.status == RequestStatus.REGISTERED and stored.assigned_officer_id is None


async def test_a_citizens_button_for_someone_elses_case_is_refused(tg: TelegramHarness) -> None:
    theirs = await telegram_case(tg.services, 42, tag="a")
    other_phone = {**COMPLETE_REQUEST, "phone": "0813-1111-2222"}
    mine = [
        await telegram_case(tg.services, 43, tag=t, fields={**other_phone, "purpose": t * 6})
        for t in "bc"
    ]
    budi = tg.citizen(43, first_name="Budi")
    which = await budi.send("Ini tambahan dokumen untuk permohonan saya")
    offered = {b["text"] for row in which["reply_markup"]["inline_keyboard"] for b in row}
    assert {f"{c.reference} · Permohonan informasi" for c in mine} <= offered
    await tg.api.push_callback(which, f"k:{theirs.id}", user_id=43)  # forged: Siti's case
    await tg.api.push_callback(which, f"o:{theirs.id}", user_id=43)
    await tg.api.push_callback(which, f"sv:{theirs.id}:1:1", user_id=43)
    await tg.api.wait_until(lambda: len(tg.api.callback_answers) == 3)
    refusals = [a.get("text") or "" for a in tg.api.callback_answers]
    assert all("tidak ditemukan" in text for text in refusals), refusals
    async with tg.services.db.session() as session:
        on_theirs = (await session.exec(select(Message).where(Message.case_id == theirs.id))).all()
    assert all("tambahan dokumen" not in m.text for m in on_theirs)
    assert apologies(tg) == [] and len(mine) == 2


async def test_survey_scores_only_after_closure_and_only_once(tg: TelegramHarness) -> None:
    case = await telegram_case(tg.services, 42)
    chat = {"message_id": 1, "date": NOW, "chat": tg.api.chat(42)}
    await tg.api.push_callback(chat, f"sv:{case.id}:1:4", user_id=42)  # forged while open
    await tg.api.wait_until(lambda: len(tg.api.callback_answers) == 1)
    assert "setelah kasusnya selesai" in tg.api.callback_answers[0]["text"]
    async with tg.services.db.session() as session:
        assert await survey_scores(session, case.id) == {}  # type: ignore[arg-type]

    await refuse(tg.services, case)
    await tg.api.push_callback(chat, f"sv:{case.id}:1:1", user_id=42)
    await tg.api.wait_until(lambda: len(tg.api.callback_answers) == 2)
    await tg.api.push_callback(chat, f"sv:{case.id}:1:4", user_id=42)  # the same element again
    await tg.api.wait_until(lambda: len(tg.api.callback_answers) == 3)
    assert "sudah Anda jawab" in tg.api.callback_answers[2]["text"]
    async with tg.services.db.session() as session:
        assert await survey_scores(session, case.id) == {1: 1}  # type: ignore[arg-type]
    assert apologies(tg) == []


async def test_a_crash_is_apologised_for_once_and_stops_the_update(
    tg: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await telegram_case(tg.services, 42)  # an open case: the inbox would take the file too
    siti = tg.citizen(42)
    await siti.send("/start")
    await siti.tap("Permohonan Informasi")
    tg.api.fail_next("getFile", network=True)  # the form's download fails
    tg.api.fail_next("getFile", network=True)  # and so would the inbox's
    answer = await siti.send_file(b"%PDF-1.4 ktp", filename="ktp.pdf")
    assert APOLOGY in answer["text"]
    await siti.say("/status")  # waits behind the failed update: one chat, in order
    # The failed update is retried from the inbox (the second download fails too, the third
    # works); only then is /status handled. Each retry comes due on the test's clock.
    for _ in range(200):
        async with tg.services.db.session() as session:
            stored = (await session.exec(select(InboundUpdate).order_by(InboundUpdate.id))).all()
        if [r.state for r in stored][-2:] == ["done", "done"]:
            break
        tg.services.clock.advance(dt.timedelta(minutes=5))  # type: ignore[attr-defined]
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the failed update was not retried")
    assert stored[-2].attempts == 3
    assert len(apologies(tg)) == 1
    assert not [m for m in tg.api.messages(42) if "sudah kami catat" in m["text"]]
    assert len([r for r in caplog.records if r.getMessage() == "handling update failed"]) == 1


async def test_names_reach_cards_without_invisible_characters(tg: TelegramHarness) -> None:
    siti = tg.citizen(42, first_name="\u202eanitS\u200b")
    await siti.send("/start")
    await siti.tap("Permohonan Informasi")
    answer = await siti.send("\u2066Siti\u200b Ami\u202enah\u2069")
    assert "NIK" in answer["text"]  # accepted: the next question
    for text in (
        "3171014101900001",
        "Jl. Merdeka No. 1, Gambir, Jakarta Pusat",
        "siti@example.id",
        "Laporan realisasi anggaran dinas tahun 2025",
        "Penelitian skripsi",
    ):
        await siti.send(text)
    await siti.tap("softcopy")
    summary = await siti.tap("Email")
    assert "Siti Aminah" in summary["text"] and "\u202e" not in summary["text"]
    await siti.tap("Kirim")
    await tg.dispatch()
    async with tg.services.db.session() as session:
        requester = (await session.exec(select(Requester))).one()
        messages = (await session.exec(select(Message))).all()
    assert requester.name == "Siti Aminah"
    assert all("\u202e" not in (m.sender_name or "") for m in messages)
    cards = [m["text"] for m in tg.api.messages(DESK_CHAT)]
    assert cards and all(not set(text) & {"\u202e", "\u2066", "\u200b"} for text in cards)


def test_decoder_reads_every_button_the_bot_builds() -> None:
    from bot.intake.forms import COMPLAINT_FORM, REQUEST_FORM

    markups = [
        keyboards.menu("id"),
        keyboards.cancel_only("en"),
        keyboards.summary_keyboard(REQUEST_FORM, "id"),
        keyboards.summary_keyboard(COMPLAINT_FORM, "id"),
        keyboards.desk_actions(7, list(keyboards.BUTTON_ORDER), "id"),
        keyboards.units(7, [(3, "Unit dinkes")], "id"),
        keyboards.decisions(7, "id"),
        keyboards.refusal_grounds(7, "id"),
        keyboards.atasan_answers(7, "id"),
        keyboards.survey(7, 9, "id"),
        keyboards.choose(keyboards.OBJ_GROUND, [("a", "a"), ("g", "g")], "id"),
        keyboards.choose(keyboards.OBJ_SEND, [("go", "go")], "id"),
        keyboards.choose(keyboards.PICK_CASE, [("X", 12)], "id"),
        keyboards.choose(keyboards.REGISTER_KIND, [("r", "request"), ("c", "complaint")], "id"),
        keyboards.choose(
            keyboards.REGISTER_CHANNEL, [(c, c) for c in keyboards.DESK_INTAKE_CHANNELS], "id"
        ),
    ]
    for form in (REQUEST_FORM, COMPLAINT_FORM):
        markups += [keyboards.field_keyboard(f, "id", has_files=True) for f in form.fields]
    for markup in markups:
        assert markup is not None
        for row in markup.inline_keyboard:
            for button in row:
                decoded = keyboards.decode(button.callback_data)  # type: ignore[arg-type]
                assert decoded.prefix in keyboards.PREFIXES


def test_every_decodable_prefix_has_a_handler() -> None:
    from telegram.ext import Application, CallbackQueryHandler

    from channels.telegram.handlers import register

    app = Application.builder().token("1:x").build()
    register(app)
    patterns = [
        h.pattern.pattern  # type: ignore[union-attr]
        for h in app.handlers[0]
        if isinstance(h, CallbackQueryHandler) and h.pattern is not None
    ]
    for prefix in keyboards.PREFIXES:
        assert any(p.startswith(f"^({prefix})") for p in patterns), prefix


async def test_a_dice_or_poll_from_a_citizen_is_answered_not_ignored(tg: TelegramHarness) -> None:
    await telegram_case(tg.services, 42)
    siti = tg.citizen(42)
    await tg.api.push_message(user_id=42, dice={"emoji": "🎲", "value": 6})
    assert "pesan jenis ini tidak dapat" in (await siti.reply())["text"]
    await siti.send("/start")
    await siti.tap("Permohonan Informasi")
    await tg.api.push_message(user_id=42, dice={"emoji": "🎯", "value": 1})
    assert "dengan mengetik tulisan" in (await siti.reply())["text"]
    assert apologies(tg) == []
