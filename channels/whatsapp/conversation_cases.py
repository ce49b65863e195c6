"""The citizen's own cases on WhatsApp: status (with a picker when there are several), the
objection to the Atasan PPID (keberatan), and the satisfaction survey (SKM).

Reply ids: `st:<case id>` (`st:page:<n>`) a case's status, `o:<case id>` object to it,
`og:<ground>` the ground, `os` send it, `sv:<case id>:<element>:<score>` a survey score,
`rt:<case id>:<score>` the complainant's rating of a complaint's follow-up (1-5).
Whatever a reply id says, the case must be the citizen's own (owned_case) and the step open.
"""

from __future__ import annotations

from dataclasses import asdict

from bot.cases.attachments import StoredFile
from bot.cases.audit import requester_actor
from bot.cases.requester_view import (
    cases_of_contact,
    file_objection,
    objection_grounds,
    owned_case,
    status_list,
)
from bot.cases.view import case_headline
from bot.errors import DomainError
from bot.i18n import format_date, t
from bot.privacy.masking import redact
from bot.workflow.complaints import rate
from bot.workflow.rules import load_rules
from bot.workflow.survey import (
    MAX_SCORE,
    MIN_SCORE,
    SURVEY_ELEMENTS,
    element_label,
    record_survey_score,
    score_label,
    survey_open,
    survey_scores,
)
from channels.whatsapp.conversation_ui import Chat, Option, page_of
from store.enums import CaseKind, Channel, ContactKind

STATUS, OBJECT, GROUND, SEND, SURVEY, RATING = "st", "o", "og", "os", "sv", "rt"
OBJECTION = "objection"
MIN_REASON = 10
PREVIEW_CHARS = 120


async def status(chat: Chat, page: int = 0) -> None:
    """The citizen's case, or a picker of their cases when there are several."""
    async with chat.services.db.session() as session:
        cases = await cases_of_contact(session, ContactKind.PHONE, chat.address)
    lang = chat.lang
    if not cases:
        await chat.say(t("whatsapp.status.none", lang))
        return
    if len(cases) == 1:
        await case_status(chat, cases[0].id)  # type: ignore[arg-type]
        return
    options = []
    for case in cases:
        head = case_headline(case, lang)
        options.append(
            Option(f"{STATUS}:{case.id}", case.reference, f"{head.kind} · {head.status}")
        )
    await chat.say(t("whatsapp.status.pick", lang), page_of(options, STATUS, page, lang))


async def case_status(chat: Chat, case_id: int) -> None:
    """One of the citizen's cases: status, due date, last message; "object" when it can be."""
    services, lang = chat.services, chat.lang
    async with services.db.session() as session:
        case = await owned_case(session, ContactKind.PHONE, chat.address, case_id)
        rules = await load_rules(session, services.settings)
        items = await status_list(session, ContactKind.PHONE, chat.address, rules, chat.now())
    item = next((i for i in items if i.case.id == case.id), None)
    preview, grounds = "-", item.grounds if item else []
    last = item.last_message if item else None
    if last is not None:
        text = " ".join(redact(last.text).split()) or "📎"
        at = last.created_at.astimezone(services.settings.tz)
        preview = t(
            "tg.status.last",
            lang,
            at=f"{format_date(at.date(), lang)} {at:%H:%M}",
            who=t(f"tg.status.from_{last.direction}", lang),
            text=text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…",
        )
    body = t("tg.status.item", lang, **case_headline(case, lang).params(), last=preview)
    if grounds:
        await chat.say(body, [Option(f"{OBJECT}:{case.id}", t("whatsapp.btn.object", lang))])
    else:
        await chat.say(body)


async def start_objection(chat: Chat) -> None:
    """Offer the citizen's requests an objection can be filed against today."""
    services = chat.services
    async with services.db.session() as session:
        rules = await load_rules(session, services.settings)
        cases = await cases_of_contact(session, ContactKind.PHONE, chat.address)
    eligible = [
        c
        for c in cases
        if c.kind == CaseKind.INFORMATION_REQUEST and objection_grounds(c, rules, chat.now())
    ]
    if not eligible:
        await chat.say(t("tg.objection.none", chat.lang))
        return
    if len(eligible) == 1:
        await pick_objection_case(chat, eligible[0].id)  # type: ignore[arg-type]
        return
    options = [Option(f"{OBJECT}:{c.id}", c.reference) for c in eligible]
    await chat.say(t("tg.objection.pick_case", chat.lang), page_of(options, OBJECT, 0, chat.lang))


async def pick_objection_case(chat: Chat, case_id: int) -> None:
    """The request chosen: its open grounds to pick from (UU KIP Pasal 35)."""
    services, lang = chat.services, chat.lang
    async with services.db.session() as session:
        rules = await load_rules(session, services.settings)
        case = await owned_case(session, ContactKind.PHONE, chat.address, case_id)
        grounds = objection_grounds(case, rules, chat.now())
    if not grounds:
        await chat.say(t("tg.objection.closed", lang, reference=case.reference))
        return
    chat.draft.start(OBJECTION, "ground", case_id=case_id, reference=case.reference)
    await chat.save()
    options = [
        Option(
            f"{GROUND}:{g.ground}",
            t(f"form.ground.short.{g.ground}", lang),
            t("form.ground.until", lang, date=format_date(g.deadline, lang)),
        )
        for g in grounds
    ]
    text = t("tg.objection.pick_ground", lang, reference=case.reference)
    await chat.say(text, [*options, chat.cancel_option()][:10])


async def pick_ground(chat: Chat, ground: str) -> None:
    """The ground chosen: ask for the reason in writing."""
    draft = chat.draft
    if draft.flow != OBJECTION or draft.step != "ground":
        await chat.say(t("whatsapp.err.stale", chat.lang))
        return
    draft.data["ground"] = ground
    draft.step = "reason"
    await chat.save()
    await chat.say(t("tg.objection.ask_reason", chat.lang), [chat.cancel_option()])


def _summary(chat: Chat) -> str:
    data, lang = chat.draft.data, chat.lang
    count = len(data.get("files", []))
    return t(
        "whatsapp.objection.summary",
        lang,
        reference=data["reference"],
        ground=t(f"form.ground.{data['ground']}", lang),
        reason=data["reason"],
        files=t("tg.objection.summary_files", lang, count=count) if count else "",
    )


def _confirm(chat: Chat) -> list[Option]:
    return [Option(SEND, t("whatsapp.btn.submit", chat.lang)), chat.cancel_option()]


async def objection_input(chat: Chat, text: str, stored: StoredFile | None) -> None:
    """The reason typed (a file sent on the way is kept as the objection's attachment)."""
    draft, lang = chat.draft, chat.lang
    kept = ""
    if stored is not None:
        draft.data.setdefault("files", []).append(asdict(stored))
        await chat.save()
        kept = t("tg.objection.file_kept", lang, count=len(draft.data["files"])) + "\n\n"
    if draft.step == "confirm":
        await chat.say(kept + _summary(chat), _confirm(chat))
        return
    if draft.step != "reason":
        await chat.say(kept + t("whatsapp.err.use_buttons", lang), [chat.cancel_option()])
        return
    reason = text.strip()
    if len(reason) < MIN_REASON:
        key = "tg.objection.reason_in_writing" if kept else "form.err.too_short"
        error = t(key, lang, minimum=MIN_REASON)
        ask = t("tg.objection.ask_reason", lang)
        await chat.say(f"{kept}{error}\n\n{ask}", [chat.cancel_option()])
        return
    draft.data["reason"] = reason
    draft.step = "confirm"
    await chat.save()
    await chat.say(_summary(chat), _confirm(chat))


async def send_objection(chat: Chat) -> None:
    """Confirmed: the objection is registered; its number and deadline are the proof."""
    draft, services = chat.draft, chat.services
    if draft.flow != OBJECTION or draft.step != "confirm":
        await chat.say(t("whatsapp.err.stale", chat.lang))
        return
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        case = await file_objection(
            session,
            ContactKind.PHONE,
            chat.address,
            int(draft.data["case_id"]),
            ground=draft.data["ground"],
            reason=draft.data["reason"],
            channel=Channel.WHATSAPP,
            rules=rules,
            now=chat.now(),
            attachments=[StoredFile(**f) for f in draft.data.get("files", [])],
        )
    draft.clear()
    await chat.save()
    due = format_date(case.due_date, chat.lang)
    await chat.say(t("tg.objection.registered", chat.lang, reference=case.reference, due=due))


async def survey_question(chat: Chat, case_id: int, element: int) -> None:
    """Ask survey element `element` (1-based) of the citizen's case, scores 1-4 as a list."""
    lang = chat.lang
    async with chat.services.db.session() as session:
        case = await owned_case(session, ContactKind.PHONE, chat.address, case_id)
    text = t("tg.survey.question", lang, n=element, total=len(SURVEY_ELEMENTS),
             label=element_label(element, lang), reference=case.reference)  # fmt: skip
    options = [
        Option(f"{SURVEY}:{case_id}:{element}:{s}", f"{s} · {score_label(s, lang)}")
        for s in range(MIN_SCORE, MAX_SCORE + 1)
    ]
    await chat.say(text, options)


async def start_survey(chat: Chat) -> None:
    """The survey of the citizen's newest closed case not yet fully answered, from the first
    element without a score."""
    async with chat.services.db.session() as session:
        for case in await cases_of_contact(session, ContactKind.PHONE, chat.address):
            if not survey_open(case):
                continue
            scored = await survey_scores(session, case.id)  # type: ignore[arg-type]
            todo = [e for e in range(1, len(SURVEY_ELEMENTS) + 1) if e not in scored]
            if todo:
                break
        else:
            await chat.say(t("whatsapp.survey.none", chat.lang))
            return
    await survey_question(chat, case.id, todo[0])  # type: ignore[arg-type]


async def score(chat: Chat, case_id: int, element: int, value: int) -> None:
    """Store one score (the case must be the citizen's own and closed), then ask the next."""
    services = chat.services
    async with services.db.transaction() as session:
        case = await owned_case(session, ContactKind.PHONE, chat.address, case_id)
        try:
            await record_survey_score(
                session, case_id=case_id, element=element, score=value, now=chat.now()
            )
        except DomainError as exc:
            await chat.say(exc.message(chat.lang))
            return
    if element < len(SURVEY_ELEMENTS):
        await survey_question(chat, case_id, element + 1)
    else:
        await chat.say(t("tg.survey.thanks", chat.lang, reference=case.reference))


async def rate_follow_up(chat: Chat, case_id: int, value: int) -> None:
    """Store the complainant's 1-5 rating of the follow-up on their own complaint, then thank
    them (a rating already given, or a case not ready for one, is said so and kept as is)."""
    services = chat.services
    async with services.db.transaction() as session:
        case = await owned_case(session, ContactKind.PHONE, chat.address, case_id)
        rules = await load_rules(session, services.settings)
        try:
            await rate(session, case, rating=value, comment=None, rules=rules,
                       actor=requester_actor(case.requester_id), now=chat.now())  # fmt: skip
        except DomainError as exc:
            await chat.say(exc.message(chat.lang))
            return
        case.rated_at = chat.now()
        session.add(case)
    await chat.say(t("annual.rating.thanks", chat.lang, score=value))
