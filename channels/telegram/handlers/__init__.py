"""Every handler of the channel, registered in one place and in this order.

Re-delivered updates never get here (the receiver's inbox drops them). Group 0 first leaves
alone, on purpose, every update that is not a person's message, edit or button tap
(handlers/screen.py); then holds commands, edits and buttons (each feature owns its callback
prefixes, see keyboards.py; any other callback data gets the "button expired" answer). Free
messages then go, group by group, to the first feature they belong to: an officer's pending
step, a form in progress, an objection in progress, an officer's reply to a case message, and
finally the citizen's inbox.
"""

from __future__ import annotations

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from channels.telegram import keyboards as kb
from channels.telegram.handlers import (
    desk_cards,
    desk_commands,
    desk_disputes,
    desk_reply,
    edits,
    inbox,
    intake,
    menu,
    objection,
    rating,
    screen,
    status,
    survey,
    updates,
)

# Commands shown in Telegram's menu (setMyCommands): citizens in private chats, officers in
# groups; each is described by the catalogue key tg.cmd.<command>.
CITIZEN_COMMANDS = ("start", "status", "bantuan", "batal")
OFFICER_COMMANDS = ("kasus", "balas", "putus", "daftar", "catat", "bantuan")

_CONTENT = (
    filters.TEXT
    | filters.Document.ALL
    | filters.PHOTO
    | filters.LOCATION
    | filters.CONTACT
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.Sticker.ALL
    # nothing an officer can read, but a person sent it: they are told so (inbox, forms)
    | filters.Dice.ALL
    | filters.POLL
    | filters.GAME
    | filters.STORY
)
_FREE = _CONTENT & ~filters.COMMAND & ~filters.UpdateType.EDITED


def _buttons(prefixes: str, callback: object) -> CallbackQueryHandler:
    return CallbackQueryHandler(callback, pattern=rf"^({prefixes})(:|$)")  # type: ignore[arg-type]


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add every handler to `app`."""
    app.add_error_handler(updates.on_error)
    app.add_handler(screen.Screen())
    commands = [
        (["start"], menu.start),
        (["status", "cek"], status.status_command),
        (["bantuan", "help"], menu.help_command),
        (["batal", "cancel"], menu.cancel),
        (["id"], menu.ids),
        (["kasus"], desk_commands.kasus),
        (["balas"], desk_commands.balas),
        (["putus"], desk_commands.putus),
        (["daftar"], desk_commands.daftar),
        (["catat"], desk_commands.catat),
    ]
    for names, callback in commands:
        app.add_handler(CommandHandler(names, callback, filters=~filters.UpdateType.EDITED))
    buttons = [
        (kb.MENU, menu.on_menu),
        (kb.LANG, menu.on_language),
        (kb.CANCEL, menu.cancel),
        (kb.FORM_CHOICE, intake.on_choice),
        (kb.SUMMARY_EDIT, intake.on_edit),
        (kb.SUBMIT, intake.on_submit),
        (kb.PICK_CASE, inbox.on_pick),
        (kb.OBJ_CASE, objection.on_case),
        (kb.OBJ_GROUND, objection.on_ground),
        (kb.OBJ_SEND, objection.on_send),
        (kb.DESK, desk_cards.on_action),
        (kb.DISPOSE_TO, desk_cards.on_dispose),
        (kb.DECIDE, desk_cards.on_decision),
        (kb.REFUSE_GROUND, desk_cards.on_refusal_ground),
        (kb.ANSWER, desk_cards.on_answer),
        (kb.BACK, desk_cards.on_back),
        (kb.REGISTER_KIND, desk_commands.on_register_kind),
        (kb.REGISTER_CHANNEL, desk_commands.on_register_channel),
        (kb.SURVEY, survey.on_score),
        (kb.REPLY_CONFIRM, desk_reply.on_confirm),
        (kb.DISPUTE_STEP, desk_disputes.on_step),
        (kb.RATING, rating.on_rating),
    ]
    for prefix, callback in buttons:
        app.add_handler(_buttons(prefix, callback))
    app.add_handler(CallbackQueryHandler(menu.on_unknown_button))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, edits.on_edit))
    free = [
        desk_cards.on_text,
        intake.on_input,
        objection.on_input,
        desk_reply.on_reply,
        rating.on_comment,
        inbox.on_message,
    ]
    for group, callback in enumerate(free, start=1):
        app.add_handler(MessageHandler(_FREE, callback), group=group)
