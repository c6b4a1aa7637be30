"""/渠道 (/channels): the office's group robots and their health, for admins in private chat.

Robots are added, tested and removed on the console only (`dutybot channel …`), so that a
webhook key never passes through a chat; here they are listed with keys masked.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.domain import permissions
from bot.services.errors import NotAllowed
from handlers.commands import add_command
from handlers.common import actor_of, refusing, reply
from handlers.context import DutyContext
from messages import commands
from messages.channels import channels_chat, channels_need_private_chat


@refusing
async def list_channels(update: Update, context: DutyContext) -> None:
    """Rights first (re-read now), then the chat: a group never sees even a masked key."""
    actor = await actor_of(update, context)
    if not permissions.can_manage_channels(actor):
        raise NotAllowed("channels")
    chat = update.effective_chat
    if chat.type != chat.PRIVATE:
        await reply(update, channels_need_private_chat())
        return
    await reply(update, channels_chat(await context.services.channels.list(actor)))


def register(app: Application) -> None:
    add_command(app, commands.CHANNELS, list_channels)
