"""What nothing else claimed: unknown commands and unknown buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.services.errors import StaleButton
from handlers.commands import LOOKS_LIKE_COMMAND, command_word, for_this_bot
from handlers.common import reply, toast
from handlers.context import DutyContext
from messages.common import unknown_command
from messages.refusals import refusal


async def on_unknown_command(update: Update, context: DutyContext) -> None:
    word = command_word(update.effective_message)
    if not for_this_bot(word, context.bot.username):
        return  # meant for another bot in this group
    await reply(update, unknown_command(word))


async def on_unknown_button(update: Update, context: DutyContext) -> None:
    await toast(update, refusal(StaleButton()))


def register(app: Application) -> None:
    app.add_handler(MessageHandler(filters.TEXT & LOOKS_LIKE_COMMAND, on_unknown_command))
    app.add_handler(CallbackQueryHandler(on_unknown_button))
