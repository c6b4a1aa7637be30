"""/交接 (/handover): 人员交接, in a private chat, for admins.

`/交接` asks who leaves and who takes over, then shows the dry run with one "确认交接"
button; `/交接 旧姓名 新姓名` shows the dry run at once. The flow's buttons carry only a
nonce and an index (handlers/flows.py): every tap re-checks the sender's rights, and a
stale or forged one changes nothing."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.services.errors import UsageError
from bot.services.handover_flow import preset
from handlers.commands import add_command, command_args
from handlers.common import actor_of, refusing, reply
from handlers.context import DutyContext
from handlers.flows import show
from messages import commands
from messages.handover import handover_private_only


@refusing
async def handover(update: Update, context: DutyContext) -> None:
    """Private only: the plan names people, items and decisions."""
    chat = update.effective_chat
    if chat.type != chat.PRIVATE:
        await reply(update, handover_private_only())
        return
    actor = await actor_of(update, context)
    words = command_args(update.effective_message)
    services = context.services
    if len(words) == 2:
        answers, labels = preset(await services.handover.plan(actor, words[0], words[1]))
        outcome = await services.flows.start(actor, chat.id, "handover", answers, labels)
    elif not words:
        outcome = await services.flows.start(actor, chat.id, "handover")
    else:
        raise UsageError("handover")
    await show(update, context, outcome)


def register(app: Application) -> None:
    add_command(app, commands.HANDOVER, handover)
