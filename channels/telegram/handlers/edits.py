"""A message the person edits after sending it.

Telegram delivers an edit as a new update; the bot never drops one silently:

- in a form, an edit of the message that answered a field is read as the new answer to that
  field (checked as the first one was), and the current question is asked again;
- any other edit in a private chat is answered: the bot keeps what it received first (it is
  already stored on the case or in the form) and asks for a new message instead;
- in an officers' group, an edit of a reply to a case message is answered the same way (the
  requester already has the original); other edits in a group are the group's own business;
- a live location updating itself is not an edit by the person and is left alone.
"""

from __future__ import annotations

import logging

from bot.errors import DomainError
from bot.i18n import t
from bot.intake.forms import SUMMARY, display_value, read_answer
from channels.telegram.handlers.intake import (
    ANSWERED_BY,
    apply_values,
    form_of,
    message_answer,
    prompt,
)
from channels.telegram.turn import Turn, handler

log = logging.getLogger(__name__)


def _field_label(key: str, language: str) -> str:
    return t("tgsafe.field.contact" if key == "contact" else f"form.field.{key}", language)


@handler
async def on_edit(turn: Turn) -> None:
    """An edited message: the new answer to a form field, or the person is told it was not."""
    message = turn.update.edited_message
    assert message is not None
    if message.location is not None:
        log.info("live location update ignored")
        return
    if not turn.private:
        await _group_edit(turn)
        return
    draft = await turn.draft()
    lang = draft.language
    form = form_of(draft)
    key = draft.data.get(ANSWERED_BY, {}).get(str(message.message_id)) if form else None
    if form is None or key is None:
        hint = "tgsafe.edit.not_taken_form" if form else "tgsafe.edit.not_taken"
        await turn.say(t(hint, lang), reply_to=message.message_id)
        return
    f = form.field(key)
    label = _field_label(key, lang)
    try:
        values = read_answer(f, message_answer(message), lang, turn.today())
    except DomainError as exc:
        error = t("tgsafe.edit.invalid", lang, field=label, error=exc.message(lang))
        await prompt(turn, form, draft, error=error)
        return
    apply_values(draft, values)
    if draft.step == SUMMARY:  # a changed answer may make another field needed
        draft.step = form.next_step(draft.data)
    await turn.save()
    value = display_value(f, draft.data, lang)
    await prompt(turn, form, draft, intro=t("tgsafe.edit.taken", lang, field=label, value=value))


async def _group_edit(turn: Turn) -> None:
    message = turn.update.edited_message
    assert message is not None
    replied = message.reply_to_message
    command = (message.text or "").split(maxsplit=1)[0].split("@")[0] if message.text else ""
    linked = replied is not None and (
        await turn.loket.state.case_of(turn.chat_id, replied.message_id) is not None
    )
    if linked or command == "/balas":
        officer = await turn.loket.desk.officer(turn.officer)
        lang = officer.language if officer else await turn.language()
        await turn.say(t("tgsafe.edit.reply_not_sent", lang), reply_to=message.message_id)
