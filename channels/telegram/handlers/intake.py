"""Guided intake in chat: a request or complaint, one field per message, validated on the way,
a summary where any field can be changed, then the registration number at once.

The same forms serve an officer registering a desk, letter, phone or WhatsApp request with
/catat (flows `desk:request` / `desk:complaint`), which ends in `bot.desk.actions.register`.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InputFile, Message
from telegram.error import Forbidden

from bot.cases.attachments import FileData
from bot.cases.opening import get_case
from bot.cases.view import case_headline
from bot.errors import DomainError
from bot.i18n import format_date, t
from bot.intake.door import ChannelRecord, Disposition, IntakeResult
from bot.intake.forms import (
    CLEAR_FILES,
    FORMS,
    SUMMARY,
    Answer,
    Form,
    display_value,
    read_answer,
    summary_text,
)
from bot.letters.outbox import RECEIPT_OF_CASE_KIND
from channels.telegram import files, keyboards
from channels.telegram.state import Draft
from channels.telegram.turn import NotMine, Turn, handler
from store.enums import CaseKind, Channel
from store.models import Case

DESK_PREFIX = "desk:"
# draft key: which of the person's messages answered which field ({message id: field key}),
# so an edit of that message can be taken as the new answer (handlers/edits.py)
ANSWERED_BY = "answered_by"


def form_of(draft: Draft) -> Form | None:
    """The form a draft is filling, if any."""
    if draft.flow is None:
        return None
    return FORMS.get(draft.flow.removeprefix(DESK_PREFIX))


async def start_form(turn: Turn, form: Form, *, desk_channel: str | None = None) -> None:
    """Begin a form (a citizen's own, or an officer's /catat for `desk_channel`)."""
    draft = await turn.draft()
    if desk_channel is None:
        draft.start(form.name, form.next_step({}))
    else:
        draft.start(DESK_PREFIX + form.name, form.next_step({}), channel=desk_channel)
    await turn.save()
    await prompt(turn, form, draft, intro=t(f"tg.intro.{form.name}", draft.language))


async def prompt(
    turn: Turn, form: Form, draft: Draft, *, intro: str | None = None, error: str | None = None
) -> None:
    """Ask the current step's question (or show the summary), after an intro or an error."""
    lang = draft.language
    parts = [p for p in (error, intro) if p]
    if draft.step == SUMMARY:
        parts.append(summary_text(form, draft.data, lang, f"tg.summary.{form.name}"))
        await turn.say("\n\n".join(parts), keyboards.summary_keyboard(form, lang))
        return
    assert draft.step is not None
    f = form.field(draft.step)
    n, total = form.progress(f.key, draft.data)
    question = t(f"form.ask.{f.key}", lang)
    if f.asked(draft.data) and not f.answered(draft.data):
        question = t("tg.step", lang, n=n, total=total) + "\n" + question
    elif f.answered(draft.data) and f.kind != "files":
        question += "\n" + t("tg.current", lang, value=display_value(f, draft.data, lang))
    has_files = bool(draft.data.get("files"))
    if f.kind == "files" and has_files:
        names = "\n".join(f"• {item['filename']}" for item in draft.data["files"])
        question += "\n\n" + t("tg.files_attached", lang, files=names)
    parts.append(question)
    await turn.say("\n\n".join(parts), keyboards.field_keyboard(f, lang, has_files=has_files))


def apply_values(draft: Draft, values: dict) -> None:
    """Put an answer's values into the draft (None removes a key)."""
    for key, value in values.items():
        if value is None:
            draft.data.pop(key, None)
        else:
            draft.data[key] = value


async def _answer(
    turn: Turn, form: Form, draft: Draft, answer: Answer, *, message_id: int | None = None
) -> None:
    assert draft.step is not None and draft.step != SUMMARY
    f = form.field(draft.step)
    try:
        values = read_answer(f, answer, draft.language, turn.today())
    except DomainError as exc:
        await prompt(turn, form, draft, error=exc.message(draft.language))
        return
    apply_values(draft, values)
    if message_id is not None:
        draft.data.setdefault(ANSWERED_BY, {})[str(message_id)] = f.key
    draft.step = form.next_step(draft.data)
    await turn.save()
    await prompt(turn, form, draft)


def message_answer(message: Message) -> Answer:
    if message.location is not None:
        return Answer(location=(message.location.latitude, message.location.longitude))
    if message.contact is not None:
        return Answer(text=message.contact.phone_number)
    return Answer(text=message.text or message.caption)


@handler
async def on_input(turn: Turn) -> None:
    """A message while a form is in progress: the answer to the current step, or a file."""
    draft = await turn.draft()
    form = form_of(draft)
    if form is None or turn.message is None:
        raise NotMine
    f = None if draft.step == SUMMARY else form.field(draft.step)  # type: ignore[arg-type]
    if files.incoming_file(turn.message) is not None:
        # A file is never dropped: at another step it is kept with the draft's attachments.
        stored = await files.store(turn.message, turn.services)
        draft.data.setdefault("files", []).append(stored)
        await turn.save()
        count = len(draft.data["files"])
        if f is None or f.kind != "files":
            error = t(f"tg.err.file_not_now.{form.name}", draft.language, count=count)
            await prompt(turn, form, draft, error=error)
            return
        markup = keyboards.field_keyboard(f, draft.language, has_files=True)
        await turn.say(t("tg.file_received", draft.language, count=count), markup)
        return
    if f is None:
        await prompt(turn, form, draft, error=t("tg.err.use_buttons", draft.language))
        return
    answer = message_answer(turn.message)
    if answer.location is not None and f.kind != "location":
        await _early_location(turn, form, draft, answer)
        return
    await _answer(turn, form, draft, answer, message_id=turn.message.message_id)


async def _early_location(turn: Turn, form: Form, draft: Draft, answer: Answer) -> None:
    """A location shared at another step: kept as the form's location answer (if it has one),
    and the current question asked again."""
    spot = next((g for g in form.fields if g.kind == "location"), None)
    if spot is None:
        await prompt(turn, form, draft, error=t("form.err.need_text", draft.language))
        return
    apply_values(draft, read_answer(spot, answer, draft.language, turn.today()))
    await turn.save()
    await prompt(turn, form, draft, error=t("tg.location_kept", draft.language))


async def resume(turn: Turn) -> bool:
    """If a citizen's own form has answers, say they are kept and ask the current question
    again (True); False when there is no such form."""
    draft = await turn.draft()
    form = form_of(draft)
    answered = set(draft.data) - {"token", ANSWERED_BY}
    if form is None or (draft.flow or "").startswith(DESK_PREFIX) or not answered:
        return False
    intro = t("tg.resume", draft.language, form=t(f"tg.resume.{form.name}", draft.language))
    await prompt(turn, form, draft, intro=intro)
    return True


async def _current(turn: Turn) -> tuple[Form, Draft, tuple[str, ...]]:
    draft = await turn.draft()
    form = form_of(draft)
    if form is None:
        await turn.edit(None)
        raise DomainError("tg.err.stale")
    return form, draft, tuple(str(a) for a in turn.args)


@handler
async def on_choice(turn: Turn) -> None:
    """A tapped choice for the current step (an old question's button is refused)."""
    form, draft, (key, value) = await _current(turn)
    if draft.step != key:
        raise DomainError("tg.err.stale")
    await turn.edit(None)
    if value == CLEAR_FILES:
        # Files sent by mistake (a KTP photo instead of the NIK): dropped, the step asked again.
        draft.data.pop("files", None)
        await turn.save()
        await prompt(turn, form, draft, intro=t("tg.files_removed", draft.language))
        return
    await _answer(turn, form, draft, Answer(choice=value))


@handler
async def on_edit(turn: Turn) -> None:
    """ "Change" on the summary: ask that field again."""
    form, draft, (key,) = await _current(turn)
    if key not in {f.key for f in form.fields if f.in_summary}:
        raise DomainError("tg.err.stale")  # another form's field, from an old summary
    draft.step = key
    await turn.save()
    await prompt(turn, form, draft)


@handler
async def on_submit(turn: Turn) -> None:
    """Submit: the case is registered and its number and due date sent at once."""
    form, draft, _ = await _current(turn)
    if draft.step != SUMMARY:
        raise DomainError("tg.err.stale")
    await turn.edit(None)
    if draft.flow and draft.flow.startswith(DESK_PREFIX):
        await _register_for_citizen(turn, form, draft)
        draft.clear()
        await turn.save()
    else:
        await _submit_own(turn, form, draft)  # the form is left in intake's transaction


def _attachments(turn: Turn, draft: Draft) -> list[tuple[dict, bytes]]:
    return [(f, turn.services.blobs.get(f["sha256"])) for f in draft.data.get("files", [])]


async def _submit_own(turn: Turn, form: Form, draft: Draft) -> None:
    user = turn.update.effective_user
    lang = draft.language
    message = form.submission(
        draft.data,
        channel=Channel.TELEGRAM,
        external_id=f"tg-form:{draft.data['token']}",
        sender=str(turn.chat_id),
        sender_name=user.full_name if user else None,
        received_at=turn.now(),
        language=lang,
        meta={"telegram_user_id": turn.user_id},
    )

    async def answer(session: AsyncSession, result: IntakeResult) -> None:
        """In intake's transaction: the number and due date answered, the form left."""
        assert result.case_reference is not None
        due_date = result.due_date  # the case intake opened: no second read of it
        if result.disposition == Disposition.DUPLICATE:  # a repeated submit: the case now
            due_date = (await get_case(session, result.case_reference)).due_date
        # The proof of request goes out as soon as this commits (Turn.finishing), and the
        # answer right after it: the dispatcher sends the chat's immediate rows in order at
        # once, so this handler never waits for a send. A repeated submit (DUPLICATE) finds it
        # sent and gets the number again. The receipt PDF follows as its own row at the
        # dispatcher's next round (bot.letters.outbox).
        queued = result.disposition == Disposition.NEW_CASE and turn.loket.sender.dispatches
        due = format_date(due_date, lang)
        key = "tg.after_submit" if queued else "tg.submitted"
        await turn.say(t(key, lang, reference=result.case_reference, due=due), keyboards.menu(lang))
        draft.clear()
        await turn.save()

    async def intake(record: ChannelRecord) -> IntakeResult:
        return await turn.services.intake.handle_inbound(message, record=record)

    await turn.finishing(intake, answer)


async def _register_for_citizen(turn: Turn, form: Form, draft: Draft) -> None:
    case = await turn.loket.desk.register(
        turn.officer,
        CaseKind(form.kind),
        Channel(draft.data["channel"]),
        form.details(draft.data),
        [FileData(f["filename"], f["content_type"], data) for f, data in _attachments(turn, draft)],
    )
    lang = draft.language
    await turn.say(
        t("tg.desk.registered", lang, **case_headline(case, lang).params()), case_id=case.id
    )
    await _send_receipt(turn, case, lang)


async def _send_receipt(turn: Turn, case: Case, lang: str) -> None:
    """The proof of receipt as PDF, privately to the registering officer, to print and hand
    over (a group must not see the requester's data). The requester gets it on their own
    channel when they have one (bot.letters.outbox)."""
    letter, pdf = await turn.loket.desk.letter(
        turn.officer,
        case.id,
        RECEIPT_OF_CASE_KIND[case.kind],  # type: ignore[arg-type]
    )
    caption = t("letters.tg.print_receipt", lang, reference=case.reference)
    await turn.delivered()  # the answer "registered" first, then its receipt
    try:
        await turn.bot.send_document(
            turn.user_id, InputFile(pdf, filename=letter.filename), caption=caption
        )
    except Forbidden:  # the officer never opened a private chat with the bot
        kind = RECEIPT_OF_CASE_KIND[case.kind]
        await turn.say(t("letters.tg.start_private", lang, reference=case.reference, kind=kind))
