"""Runs before every other handler (group -1): replays and unregistered groups stop here."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from handlers.commands import ANY_CHINESE_COMMAND
from handlers.common import reply, toast
from handlers.context import DutyContext
from messages import commands
from messages.common import unregistered_group

GROUP = -1


async def guard(update: Update, context: DutyContext) -> None:
    """Drop an update already handled before a crash; keep unregistered groups quiet."""
    if await context.services.people.is_processed(update.update_id):
        raise ApplicationHandlerStop
    chat = update.effective_chat
    if chat is None or chat.type == chat.PRIVATE or update.effective_user is None:
        return
    if await context.services.groups.get(chat.id) is not None:
        return
    if update.callback_query is not None:
        if not (update.callback_query.data or "").startswith("f:"):  # binding this group
            await toast(update, unregistered_group())
            raise ApplicationHandlerStop
        return
    message = update.effective_message
    text = (message.text or "") if message else ""
    if _is_bind_command(text, context.bot.username):
        return
    if _is_command(update):
        await reply(update, unregistered_group())
    raise ApplicationHandlerStop


def _is_bind_command(text: str, username: str) -> bool:
    word = next(iter(text.split(maxsplit=1)), "")  # "" for a text of spaces only
    name, _, at = word.partition("@")
    if at and at.lower() != username.lower():
        return False
    return name in (f"/{commands.BIND_GROUP.ascii}", f"/{commands.BIND_GROUP.chinese}",
                    f"/{commands.CANCEL.ascii}", f"/{commands.CANCEL.chinese}")


def _is_command(update: Update) -> bool:
    message = update.effective_message
    if message is None or not message.text:
        return False
    has_entity = bool(message.entities) and message.entities[0].type == "bot_command" \
        and message.entities[0].offset == 0
    return has_entity or ANY_CHINESE_COMMAND.check_update(update) is True


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, guard), GROUP)
