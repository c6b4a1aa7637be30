"""/看板 (/board): a one-time login link to the 纪委 看板, in a private chat only (the link
opens the board as its holder; a group would hand it to everyone in it)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.domain.board import login_url
from bot.services.errors import BoardRefused
from handlers.commands import add_command
from handlers.common import actor_of, refusing, reply
from handlers.context import DutyContext
from messages import commands
from messages.board import board_link, board_private_only


@refusing
async def board(update: Update, context: DutyContext) -> None:
    """The chat first, then the setting, then the sender's rights (in the service)."""
    chat = update.effective_chat
    if chat.type != chat.PRIVATE:
        await reply(update, board_private_only())
        return
    base = context.settings.board_url
    if not base:
        raise BoardRefused("no_url")
    actor = await actor_of(update, context)
    issued = await context.services.board.link_for(actor)
    await reply(update, board_link(login_url(base, issued.token), issued.expires_at))


def register(app: Application) -> None:
    add_command(app, commands.BOARD, board)
