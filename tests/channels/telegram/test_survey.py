"""The satisfaction survey in chat: an invitation row opens nine 1-4 questions."""

from __future__ import annotations

from bot.notify.outbox import enqueue
from bot.workflow.survey import survey_scores
from tests.channels.telegram.conftest import TelegramHarness
from tests.channels.telegram.helpers import refuse, telegram_case


async def test_nine_taps_answer_the_survey(tg: TelegramHarness) -> None:
    case = await refuse(tg.services, await telegram_case(tg.services, 42))
    async with tg.services.db.transaction() as session:
        await enqueue(
            session,
            dedup_key=f"survey:{case.id}",
            channel="telegram",
            recipient="42",
            purpose="survey_invitation",
            body="Pengaduan Anda telah selesai. Mohon nilai layanan kami.",
            case_id=case.id,
            now=tg.services.clock.now(),
            payload={"actions": [], "case_id": case.id, "reply_to": None, "attachments": []},
        )
    await tg.dispatch()
    siti = tg.citizen(42)
    messages = tg.api.messages(42)
    question = messages[-1]
    assert "Mohon nilai" in messages[-2]["text"]
    assert "1/9" in question["text"] and "Persyaratan" in question["text"]
    for element in range(1, 10):
        score = 4 if element % 2 else 3
        await siti.press(f"{score} ·", question)
        if element < 9:
            await tg.api.wait_until(
                lambda n=element: f"{n + 1}/9" in tg.api.current(question)["text"]
            )
    await tg.api.wait_until(lambda: "Terima kasih" in tg.api.current(question)["text"])
    async with tg.services.db.session() as session:
        scores = await survey_scores(session, case.id)  # type: ignore[arg-type]
    assert scores == {n: 4 if n % 2 else 3 for n in range(1, 10)}

    # A tap forged in another chat (a private chat's buttons only reach that chat's owner).
    forged = {"message_id": 999, "date": 0, "chat": tg.api.chat(43)}
    await tg.api.push_callback(forged, f"sv:{case.id}:1:1", user_id=43)
    await tg.api.wait_until(
        lambda: any("tidak ditemukan" in (a.get("text") or "") for a in tg.api.callback_answers)
    )
    async with tg.services.db.session() as session:
        assert (await survey_scores(session, case.id))[1] == 4  # type: ignore[arg-type]
