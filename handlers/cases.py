"""/问责 (/cases): the 问责 register, in private chat only (cases are confidential).

`/问责` lists the cases the sender may see; `/问责 登记` records one, guided (纪委);
`/问责 典型 A0001` marks a 典型案例, `/问责 倒查 A0001 主体 结论` concludes a 倒查 and
`/问责 办结 A0001` closes a case (纪委); `/问责 检讨 A0001` and `/问责 检查 A0001` mark the
书面检讨 handed in and the 深刻检查 made (the person held accountable, or the 纪委).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.domain.cases import can_record_cases
from bot.services.followups import FOLLOW_UP_WORDS
from handlers.commands import add_command, command_args
from handlers.common import actor_of, refusing, reply
from handlers.context import DutyContext
from handlers.flows import show
from messages import commands
from messages.cases import (
    case_closed,
    case_list,
    case_marked_typical,
    cases_need_private_chat,
    review_done,
)
from messages.inspections import follow_up_done

CLOSE_WORDS = ("办结", "close")
RECORD_WORDS = ("登记", "新建", "new")
TYPICAL_WORDS = ("典型", "typical")
REVIEW_WORDS = ("倒查", "review")


@refusing
async def cases(update: Update, context: DutyContext) -> None:
    """The chat first: a group never sees even that a case exists."""
    chat = update.effective_chat
    if chat.type != chat.PRIVATE:
        await reply(update, cases_need_private_chat())
        return
    actor = await actor_of(update, context)
    words = command_args(update.effective_message)
    if len(words) == 1 and words[0].lower() in RECORD_WORDS:
        await show(update, context, await context.services.flows.start(
            actor, chat.id, "case_record"))
        return
    if len(words) >= 4 and words[0].lower() in REVIEW_WORDS:
        view = await context.services.cases.finish_review(actor, words[1], words[2],
                                                          " ".join(words[3:]))
        await reply(update, review_done(view))
        return
    if len(words) == 2 and words[0].lower() in TYPICAL_WORDS:
        view = await context.services.cases.mark_typical(actor, words[1])
        await reply(update, case_marked_typical(view))
        return
    if len(words) >= 2 and words[0].lower() in FOLLOW_UP_WORDS:  # 检讨 A0001 [已交]
        code, done = await context.services.followups.mark_done(actor, words[1], words[0].lower())
        await reply(update, follow_up_done(code, done))
        return
    if len(words) == 2 and words[0].lower() in CLOSE_WORDS:
        await reply(update, case_closed(await context.services.cases.close(actor, words[1])))
        return
    views = await context.services.cases.visible(actor)
    await reply(update, case_list(views, can_record_cases(actor)))


def register(app: Application) -> None:
    add_command(app, commands.CASES, cases)
