"""/start, the main menu, the language switch, /bantuan, /id and cancelling what is in progress."""

from __future__ import annotations

from bot.i18n import t
from bot.intake.forms import COMPLAINT_FORM, REQUEST_FORM
from channels.telegram import keyboards
from channels.telegram.handlers import intake, objection, status
from channels.telegram.keyboards import StaleButton
from channels.telegram.turn import NotMine, Turn, handler


async def show_menu(turn: Turn, key: str = "tg.menu.prompt") -> None:
    """Send the main menu with an introductory sentence."""
    lang = await turn.language()
    await turn.say(t(key, lang, body=turn.services.settings.body_name), keyboards.menu(lang))


@handler
async def start(turn: Turn) -> None:
    """Greet (Indonesian, or English from the Telegram language) and offer the menu; in the
    middle of a form, keep its answers and ask its current question again."""
    if not turn.private:
        await _help(turn)
        return
    if await intake.resume(turn):  # a form half filled in is kept: /batal drops it
        return
    draft = await turn.draft()
    draft.clear()
    await turn.save()
    await show_menu(turn, "tg.welcome")


@handler
async def on_menu(turn: Turn) -> None:
    """A tap on a menu item."""
    (item,) = turn.args
    await turn.ack()
    if item in ("request", "complaint") and await intake.resume(turn):
        return  # an old menu's button does not throw away a form half filled in
    if item == "request":
        await intake.start_form(turn, REQUEST_FORM)
    elif item == "complaint":
        await intake.start_form(turn, COMPLAINT_FORM)
    elif item == "status":
        await status.show(turn)
    elif item == "objection":
        await objection.start(turn)
    else:
        await _help(turn)


@handler
async def on_language(turn: Turn) -> None:
    """Switch the conversation language and show the menu in it."""
    draft = await turn.draft()
    draft.language = str(turn.args[0])
    await turn.save()
    await turn.ack()
    lang = draft.language
    await turn.edit(
        t("tg.welcome", lang, body=turn.services.settings.body_name), keyboards.menu(lang)
    )


async def _help(turn: Turn) -> None:
    lang = await turn.language()
    if await turn.loket.desk.officer(turn.officer) is not None:
        await turn.say(t("tg.desk.help", lang))
    elif turn.private:
        await turn.say(t("tg.help", lang), keyboards.menu(lang))
    else:
        raise NotMine


@handler
async def help_command(turn: Turn) -> None:
    """/bantuan: the officers' commands for officers, a short guide for citizens."""
    await _help(turn)


@handler
async def ids(turn: Turn) -> None:
    """/id: this chat's id and the sender's user id, for `loket units set-chat` and
    `loket officers add` when a body sets up its officers (nothing private is shown)."""
    lang = await turn.language()
    await turn.say(t("tg.ids", lang, chat_id=turn.chat_id, user_id=turn.user_id))


@handler
async def cancel(turn: Turn) -> None:
    """/batal or the cancel button: drop the flow in progress (nothing is submitted)."""
    draft = await turn.draft()
    had_flow = draft.flow is not None
    draft.clear()
    await turn.save()
    await turn.ack()
    lang = draft.language
    if turn.query is not None:
        await turn.edit(None)
    if turn.private and await turn.loket.desk.officer(turn.officer) is None:
        await show_menu(turn, "tg.cancelled" if had_flow else "tg.menu.prompt")
    else:
        await turn.say(t("tg.cancelled_short", lang))


@handler
async def on_unknown_button(turn: Turn) -> None:
    """Callback data with a prefix no feature owns: the "button expired" answer."""
    raise StaleButton(f"no feature owns {turn.button.prefix!r}")
