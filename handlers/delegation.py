"""/分解 (/delegate): hand an item down to owners one level below; `/分解 办结 W0003`:
the owner's 已完成 over children still open, on record. /传导 (/chain): the 温差落差 report.

The words are parsed here, the rights and the rules are the service's and the domain's.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.services.delegation import Handing
from handlers.commands import add_command, command_args
from handlers.common import actor_of, refusing, reply
from handlers.context import DutyContext
from messages import commands
from messages import delegation as texts


@refusing
async def delegate(update: Update, context: DutyContext) -> None:
    actor = await actor_of(update, context)
    words = command_args(update.effective_message)
    service = context.services.delegation
    if len(words) == 2 and words[0].lower() in texts.CLOSE_WORDS:
        changed, passed = await service.complete_anyway(actor, words[1])
        await reply(update, texts.completed_anyway(changed.item.code, passed))
        return
    if len(words) < 3 or len(words) % 2 == 0:
        await reply(update, texts.usage())
        return
    handings = [Handing(owner, due) for owner, due in zip(words[1::2], words[2::2],
                                                          strict=True)]
    await reply(update, texts.handed_down(await service.hand_down(actor, words[0], handings)))


@refusing
async def chain(update: Update, context: DutyContext) -> None:
    actor = await actor_of(update, context)
    service = context.services.delegation
    report, names = await service.report(actor)
    await reply(update, texts.chain_report(report, names))


def register(app: Application) -> None:
    add_command(app, commands.DELEGATE, delegate)
    add_command(app, commands.CHAIN, chain)
