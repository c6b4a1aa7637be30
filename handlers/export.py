"""/导出 (/export): the Excel 台账, sent as a document in private chat or in a 纪委 group."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import Application

from handlers.commands import add_command
from handlers.common import actor_of, chat_group, refusing
from handlers.context import DutyContext
from messages import commands
from messages.export import WORDS, export_caption, file_name


@refusing
async def on_export(update: Update, context: DutyContext) -> None:
    """Who may have it, and where, is the service's to say; a refusal is one line. The
    export is recorded in the 履责纪实 once the document was sent, never before."""
    chat = update.effective_chat
    actor = await actor_of(update, context)
    export = context.services.export
    result = await export.export(actor, await chat_group(update, context), WORDS)
    name = file_name(result.day)
    await context.bot.send_document(
        chat_id=chat.id, document=InputFile(result.data, filename=name),
        caption=export_caption(result.day, result.counts))
    await export.recorded(actor, result, name, via="chat")


def register(app: Application) -> None:
    add_command(app, commands.EXPORT, on_export)
