"""The citizen's guided journeys on WhatsApp: the menu (a list), the request and complaint
forms, status, objection, survey, the language switch and cancel.

`converse` gets every stored message before the free-message path (messages.py) and says
whether it belonged to a journey: a tap on one of our buttons or list rows (its reply id), a
word of the menu typed (MENU, STATUS, BATAL, ...), or an answer while a flow is in progress.
Anything else is a free message: added to the citizen's case as before.

The conversation lives in the store (bot.intake.drafts), saved with the id of the message
that changed it: a message handled again after a crash is not applied twice, its question is
just asked again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.cases.attachments import StoredFile
from bot.errors import DomainError, NotFoundError
from bot.i18n import LANGUAGES, t
from bot.intake.drafts import Draft, Drafts
from bot.intake.forms import COMPLAINT_FORM, FORMS, REQUEST_FORM, Answer
from bot.notify.delivery import DispatchNow
from bot.services import Services
from channels.whatsapp import conversation_cases as cases
from channels.whatsapp import conversation_forms as forms
from channels.whatsapp.conversation_ui import CANCEL, PAGE, Chat, Option
from channels.whatsapp.graph import GraphClient

CHANNEL = "whatsapp"
MENU, LANGUAGE = "m", "l"
MENU_ITEMS = ("request", "complaint", "status", "objection", "survey", "help")
# Words a citizen may type instead of tapping (Indonesian first); compared lower-cased.
WORDS = {
    "menu": ("menu", "mulai", "start", "halo", "hai", "hi", "hello", "hallo", "assalamualaikum"),
    "cancel": ("batal", "cancel", "stop"),
    "status": ("status", "cek", "cek status"),
    "objection": ("keberatan", "objection"),
    "survey": ("survei", "survey", "skm"),
    "help": ("bantuan", "help"),
    "language": ("bahasa", "language", "english", "indonesia", "bahasa indonesia"),
}


def reply_id(item: dict[str, Any]) -> str | None:
    """The id of the button or list row the citizen tapped, if the message is such a tap."""
    if item.get("type") != "interactive":
        return None
    interactive = item.get("interactive") or {}
    reply = interactive.get(str(interactive.get("type", ""))) or {}
    value = reply.get("id")
    return str(value)[:200] if value else None


def typed_word(item: dict[str, Any]) -> str | None:
    """Which menu word the message is (`WORDS`' key), if it is one."""
    if item.get("type") != "text":
        return None
    text = " ".join(str((item.get("text") or {}).get("body", "")).split()).lower().strip("!.?/")
    return next((name for name, words in WORDS.items() if text in words), None)


def answer_of(item: dict[str, Any], text: str) -> Answer:
    """What a message answers to a form step: a shared location, a contact's number, text."""
    kind = item.get("type")
    if kind == "location":
        loc = item.get("location") or {}
        return Answer(location=(float(loc["latitude"]), float(loc["longitude"])))
    if kind == "contacts":
        phones = [
            p.get("phone", "") for c in item.get("contacts") or [] for p in c.get("phones") or []
        ]
        return Answer(text=phones[0] if phones else text)
    return Answer(text=text)


async def show_menu(chat: Chat, key: str = "tg.menu.prompt") -> None:
    """The main menu as a list, with the language switch."""
    lang = chat.lang
    other = "en" if lang == "id" else "id"
    options = [Option(f"{MENU}:{item}", t(f"tg.menu.{item}", lang) if item != "survey"
                      else t("whatsapp.menu.survey", lang)) for item in MENU_ITEMS]  # fmt: skip
    options.append(Option(f"{LANGUAGE}:{other}", t("tg.menu.language", lang)))
    await chat.say(t(key, lang, body=chat.services.settings.body_name), options)


async def _resume(chat: Chat) -> bool:
    form = forms.form_of(chat)
    if form is None or not set(chat.draft.data) - {"token"}:
        return False
    what = t(f"tg.resume.{form.name}", chat.lang)
    await forms.prompt(chat, form, intro=t("whatsapp.resume", chat.lang, form=what))
    return True


async def cancel(chat: Chat) -> None:
    """Drop the flow in progress (nothing is submitted) and offer the menu."""
    had_flow = chat.draft.flow is not None
    chat.draft.clear()
    await chat.save()
    await show_menu(chat, "tg.cancelled" if had_flow else "tg.menu.prompt")


async def switch_language(chat: Chat, language: str | None = None) -> None:
    """Speak `language` (or the other one) from now on; the menu in it."""
    chat.draft.language = language or ("en" if chat.lang == "id" else "id")
    await chat.save()
    await show_menu(chat, "tg.welcome")


async def on_menu(chat: Chat, item: str) -> None:
    """A menu item, tapped or typed."""
    if item in ("request", "complaint") and await _resume(chat):
        return  # an old menu's row does not throw away a form half filled in
    actions: dict[str, Callable[[], Awaitable[None]]] = {
        "request": lambda: forms.start_form(chat, REQUEST_FORM),
        "complaint": lambda: forms.start_form(chat, COMPLAINT_FORM),
        "status": lambda: cases.status(chat),
        "objection": lambda: cases.start_objection(chat),
        "survey": lambda: cases.start_survey(chat),
        "help": lambda: chat.say(t("whatsapp.help", chat.lang)),
    }
    await actions.get(item, lambda: show_menu(chat))()


def _number(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise ValueError(value)
    return int(value)


async def on_reply(chat: Chat, rid: str, dispatch: DispatchNow) -> None:
    """A tap on one of our buttons or rows, by its reply id; an id we would not have made,
    or one for a step no longer open, gets the "no longer applies" answer."""
    prefix, *args = rid.split(":")
    form = forms.form_of(chat)
    try:
        if prefix == CANCEL and not args:
            await cancel(chat)
        elif prefix == MENU and len(args) == 1:
            await on_menu(chat, args[0])
        elif prefix == LANGUAGE and len(args) == 1 and args[0] in LANGUAGES:
            await switch_language(chat, args[0])
        elif prefix == forms.CHOICE and len(args) == 2 and form is not None:
            await forms.on_choice(chat, form, args[0], args[1])
        elif prefix == forms.EDIT and args and form is not None:
            await forms.on_edit(chat, form, args[0], args[1] if len(args) > 1 else None)
        elif prefix == forms.SUBMIT and not args and form is not None:
            await forms.on_submit(chat, form, dispatch)
        elif prefix == cases.STATUS and len(args) == 2 and args[0] == PAGE:
            await cases.status(chat, _number(args[1]))
        elif prefix == cases.STATUS and len(args) == 1:
            await cases.case_status(chat, _number(args[0]))
        elif prefix == cases.OBJECT and len(args) == 1:
            await cases.pick_objection_case(chat, _number(args[0]))
        elif prefix == cases.GROUND and len(args) == 1:
            await cases.pick_ground(chat, args[0])
        elif prefix == cases.SEND and not args:
            await cases.send_objection(chat)
        elif prefix == cases.SURVEY and len(args) == 3:
            await cases.score(chat, *(_number(a) for a in args))
        elif prefix == cases.RATING and len(args) == 2:
            await cases.rate_follow_up(chat, *(_number(a) for a in args))
        else:
            raise ValueError(rid)
    except (ValueError, NotFoundError):
        await _stale(chat)


async def _stale(chat: Chat) -> None:
    form = forms.form_of(chat)
    if form is not None:
        await forms.prompt(chat, form, error=t("whatsapp.err.stale", chat.lang))
    else:
        await show_menu(chat, "whatsapp.stale_menu")


class Conversation:
    """The channel's guided conversations, over the store's drafts."""

    def __init__(self, services: Services, graph: GraphClient, dispatch: DispatchNow) -> None:
        self.services, self.graph, self.dispatch = services, graph, dispatch
        self.drafts = Drafts(services.db)

    async def draft(self, address: str, language: str) -> Draft:
        """The citizen's stored conversation (or a fresh one in `language`)."""
        return await self.drafts.load(CHANNEL, address, language)

    async def converse(
        self,
        item: dict[str, Any],
        draft: Draft,
        text: str,
        stored: tuple[StoredFile, ...],
    ) -> bool:
        """Handle `item` if it belongs to a journey (True); False for a free message."""
        key = str(item["id"])
        chat = Chat(self.services, self.graph, self.drafts, draft, key)
        rid, word = reply_id(item), typed_word(item)
        in_flow = draft.flow in FORMS or draft.flow == cases.OBJECTION
        if rid is None and word is None and not in_flow:
            return False
        if await self.drafts.applied(CHANNEL, draft.address, key):
            # handled before a crash: its effect is stored; only the question is asked again
            if not await _resume(chat):
                await show_menu(chat)
            return True
        try:
            await self._route(chat, item, rid, word, text, stored)
        except DomainError as exc:
            await chat.say(exc.message(chat.lang))
        return True

    async def _route(
        self,
        chat: Chat,
        item: dict[str, Any],
        rid: str | None,
        word: str | None,
        text: str,
        stored: tuple[StoredFile, ...],
    ) -> None:
        if rid is not None:
            await on_reply(chat, rid, self.dispatch)
        elif word == "cancel":
            await cancel(chat)
        elif word == "language":
            await switch_language(chat)
        elif word == "menu":
            if not await _resume(chat):
                await show_menu(chat, "tg.welcome")
        elif word is not None and chat.draft.flow is None:
            await on_menu(chat, word)
        elif word in ("status", "help"):  # looked up mid-form: the form waits, kept
            await on_menu(chat, word)
            if (form := forms.form_of(chat)) is not None:
                await forms.prompt(chat, form)
        elif (form := forms.form_of(chat)) is not None:
            if stored:
                for file in stored:
                    await forms.add_file(chat, form, file)
                if not text.strip() or item.get("type") != "text":
                    return
            await forms.answer(chat, form, answer_of(item, text))
        elif chat.draft.flow == cases.OBJECTION:
            await cases.objection_input(chat, text, stored[0] if stored else None)
        else:  # a menu word in the middle of an objection: the flow goes on
            await cases.objection_input(chat, text, None)
