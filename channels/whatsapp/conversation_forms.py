"""The guided request and complaint forms on WhatsApp: the core's form definitions and answer
readers (bot.intake.forms), asked one field per message with WhatsApp buttons and lists, a
summary where any field can be changed, then the registration number at once.

Reply ids: `f:<field>:<value>` a choice, `e:<field>` change a field (`e:list`, `e:page:<n>`
the fields to change), `ok` submit.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.cases.attachments import StoredFile
from bot.cases.opening import get_case
from bot.errors import DomainError
from bot.i18n import format_date, t
from bot.intake.door import Disposition
from bot.intake.forms import (
    CLEAR_FILES,
    FORMS,
    SUMMARY,
    Answer,
    Form,
    FormField,
    choice_label,
    display_value,
    read_answer,
    summary_text,
)
from bot.notify.delivery import DispatchNow
from bot.notify.purposes import Purpose
from channels.whatsapp.conversation_ui import PAGE, Chat, Option, page_of
from store.enums import Channel

CHOICE, EDIT, SUBMIT = "f", "e", "ok"
EDIT_LIST = "list"


def form_of(chat: Chat) -> Form | None:
    """The form the conversation is filling, if any."""
    return FORMS.get(chat.draft.flow or "")


async def start_form(chat: Chat, form: Form) -> None:
    """Begin `form` afresh and ask its first question."""
    chat.draft.start(form.name, form.next_step({}))
    await chat.save()
    await prompt(chat, form, intro=t(f"whatsapp.intro.{form.name}", chat.lang))


def _field_options(chat: Chat, f: FormField) -> list[Option]:
    lang = chat.lang
    options = [Option(f"{CHOICE}:{f.key}:{c}", choice_label(f, c, lang)) for c in f.choices]
    if f.kind == "files":
        has_files = bool(chat.draft.data.get("files"))
        label = "whatsapp.btn.skip" if f.skippable and not has_files else "whatsapp.btn.done"
        options.append(Option(f"{CHOICE}:{f.key}:done", t(label, lang)))
        if has_files:
            options.append(
                Option(f"{CHOICE}:{f.key}:{CLEAR_FILES}", t("whatsapp.btn.remove", lang))
            )
    return [*options, chat.cancel_option()]


async def prompt(
    chat: Chat, form: Form, *, intro: str | None = None, error: str | None = None
) -> None:
    """Ask the current step's question (or show the summary), after an intro or an error."""
    draft, lang = chat.draft, chat.lang
    parts = [p for p in (error, intro) if p]
    if draft.step == SUMMARY:
        parts.append(summary_text(form, draft.data, lang, f"whatsapp.summary.{form.name}"))
        options = [
            Option(SUBMIT, t("whatsapp.btn.submit", lang)),
            Option(f"{EDIT}:{EDIT_LIST}", t("whatsapp.btn.change", lang)),
            chat.cancel_option(),
        ]
        await chat.say("\n\n".join(parts), options)
        return
    assert draft.step is not None
    f = form.field(draft.step)
    question = t(f"form.ask.{f.key}", lang)
    if f.asked(draft.data) and not f.answered(draft.data):
        n, total = form.progress(f.key, draft.data)
        question = t("tg.step", lang, n=n, total=total) + "\n" + question
    elif f.answered(draft.data) and f.kind != "files":
        question += "\n" + t("tg.current", lang, value=display_value(f, draft.data, lang))
    if f.kind == "files" and draft.data.get("files"):
        names = "\n".join(f"• {item['filename']}" for item in draft.data["files"])
        question += "\n\n" + t("tg.files_attached", lang, files=names)
    parts.append(question)
    await chat.say("\n\n".join(parts), page_of(_field_options(chat, f), CHOICE, 0, lang))


def _apply(chat: Chat, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if value is None:
            chat.draft.data.pop(key, None)
        else:
            chat.draft.data[key] = value


async def answer(chat: Chat, form: Form, given: Answer) -> None:
    """The citizen's answer to the current step: read, stored, the next question asked."""
    draft = chat.draft
    if draft.step == SUMMARY:
        await prompt(chat, form, error=t("whatsapp.err.use_buttons", chat.lang))
        return
    assert draft.step is not None
    f = form.field(draft.step)
    if given.location is not None and f.kind != "location":
        spot = next((g for g in form.fields if g.kind == "location"), None)
        if spot is None:
            await prompt(chat, form, error=t("form.err.need_text", chat.lang))
            return
        _apply(chat, read_answer(spot, given, chat.lang, chat.today()))
        await chat.save()
        await prompt(chat, form, error=t("tg.location_kept", chat.lang))
        return
    try:
        values = read_answer(f, given, chat.lang, chat.today())
    except DomainError as exc:
        await prompt(chat, form, error=exc.message(chat.lang))
        return
    _apply(chat, values)
    draft.step = form.next_step(draft.data)
    await chat.save()
    await prompt(chat, form)


async def add_file(chat: Chat, form: Form, stored: StoredFile) -> None:
    """A file sent during the form: kept with the draft (never dropped), at any step."""
    draft = chat.draft
    draft.data.setdefault("files", []).append(asdict(stored))
    await chat.save()
    count = len(draft.data["files"])
    f = None if draft.step in (None, SUMMARY) else form.field(draft.step)  # type: ignore[arg-type]
    if f is None or f.kind != "files":
        error = t(f"tg.err.file_not_now.{form.name}", chat.lang, count=count)
        await prompt(chat, form, error=error)
        return
    await chat.say(
        t("tg.file_received", chat.lang, count=count),
        page_of(_field_options(chat, f), CHOICE, 0, chat.lang),
    )


async def on_choice(chat: Chat, form: Form, key: str, value: str) -> None:
    """A tapped choice (`f:<field>:<value>`); a choice of an older question is refused."""
    if chat.draft.step != key:
        await prompt(chat, form, error=t("whatsapp.err.stale", chat.lang))
        return
    if value == CLEAR_FILES:
        chat.draft.data.pop("files", None)
        await chat.save()
        await prompt(chat, form, intro=t("tg.files_removed", chat.lang))
        return
    await answer(chat, form, Answer(choice=value))


def _edit_options(chat: Chat, form: Form) -> list[Option]:
    lang = chat.lang
    return [
        Option(
            f"{EDIT}:{f.key}",
            "✏️ " + t(f"form.field.{f.key}", lang),
            display_value(f, chat.draft.data, lang),
        )
        for f in form.fields
        if f.in_summary
    ]


async def on_edit(chat: Chat, form: Form, arg: str, page: str | None = None) -> None:
    """`e:list` / `e:page:<n>`: the fields to change (paged); `e:<field>`: ask it again."""
    if chat.draft.step != SUMMARY and arg in (EDIT_LIST, PAGE):
        await prompt(chat, form, error=t("whatsapp.err.stale", chat.lang))
        return
    if arg in (EDIT_LIST, PAGE):
        number = int(page) if page and page.isdigit() else 0
        rows = page_of(_edit_options(chat, form), EDIT, number, chat.lang)
        await chat.say(t("whatsapp.pick_field", chat.lang), rows)
        return
    if arg not in {f.key for f in form.fields if f.in_summary}:
        await prompt(chat, form, error=t("whatsapp.err.stale", chat.lang))
        return
    chat.draft.step = arg
    await chat.save()
    await prompt(chat, form)


async def on_submit(chat: Chat, form: Form, dispatch: DispatchNow) -> None:
    """Submit: the case is registered through the one door, its proof of request (number and
    due date) sent at once through the outbox, then the form forgotten."""
    draft, lang = chat.draft, chat.lang
    if draft.step != SUMMARY:
        await prompt(chat, form, error=t("whatsapp.err.stale", lang))
        return
    result = await chat.services.intake.handle_inbound(
        form.submission(
            draft.data,
            channel=Channel.WHATSAPP,
            external_id=f"wa-form:{draft.data['token']}",
            sender=chat.address,
            received_at=chat.now(),
            language=lang,
            meta={"whatsapp_type": "form"},
        )
    )
    assert result.case_reference is not None
    async with chat.services.db.session() as session:
        case = await get_case(session, result.case_reference)
    # The proof of request is the outbox row intake queued; the dispatcher sends it now (a
    # repeated submit, DUPLICATE, finds it sent and gets the number again below).
    delivered = result.disposition == Disposition.NEW_CASE and await dispatch.dispatch_now(
        case_id=case.id,  # type: ignore[arg-type]
        purpose=Purpose.ACKNOWLEDGEMENT,
    )
    draft.clear()
    await chat.save()
    due = format_date(case.due_date, lang)
    key = "whatsapp.after_submit" if delivered else "tg.submitted"
    await chat.say(t(key, lang, reference=case.reference, due=due))
