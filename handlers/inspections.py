"""/监督检查 (/inspect) and /考核 (/assess).

`/监督检查` lists the latest inspections in the sender's scope; `/监督检查 登记` records one
step by step, `/监督检查 日期 单位 类型` with a line per point at once (纪委); the button
under a finding turns it into a 问题 and a 整改 (纪委, re-checked on every press).
`/考核 [年份]` lists the year's results; `/考核 年份 单位` shows one beside the bot's
figures; `/考核 年份 单位 等次 评语` records one (党委). Both are answered in private chat only
(/考核's figures count 问责 cases).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.domain.assessments import can_record_assessments
from bot.domain.inspections import can_record_inspections
from handlers.commands import add_command, command_args
from handlers.common import actor_of, refusing, reply, toast
from handlers.context import DutyContext
from handlers.flows import show
from messages import callbacks, commands
from messages.inspections import (
    PRIVATE_ONLY,
    assessment_list,
    assessment_text,
    finding_fixed,
    findings_keyboard,
    follow_up_done,
    inspection_list,
    inspection_recorded,
)


@refusing
async def inspect(update: Update, context: DutyContext) -> None:
    """Record (with arguments) or list (without); in private chat only, as the findings
    about a unit are not for every group."""
    chat = update.effective_chat
    if chat.type != chat.PRIVATE:
        await reply(update, PRIVATE_ONLY["inspect"])
        return
    actor = await actor_of(update, context)
    message = update.effective_message
    service = context.services.inspections
    text = (message.text or "").split(maxsplit=1)
    if len(text) == 2 and text[1].strip() in ("登记", "new"):  # guided, step by step
        await show(update, context, await context.services.flows.start(
            actor, update.effective_chat.id, "inspection_record"))
        return
    if len(text) == 2 and text[1].strip():
        view = await service.record(actor, text[1])
        await reply(update, inspection_recorded(view), findings_keyboard([view]))
        return
    views = await service.recent(actor)
    can_record = can_record_inspections(actor)
    await reply(update, inspection_list(views, can_record),
                findings_keyboard(views) if can_record else None)


@refusing
async def on_finding_button(update: Update, context: DutyContext) -> None:
    """`jc:<finding id>`: the finding becomes a 问题 and a 整改; the 纪委's, re-checked."""
    finding_id = callbacks.parse_finding(update.callback_query.data)
    actor = await actor_of(update, context)
    done = await context.services.inspections.make_fix(actor, finding_id)
    await toast(update, f"已转为 {done.item.item.code} 和 {done.fix.main.item.code}")
    await reply(update, finding_fixed(done))


@refusing
async def assess(update: Update, context: DutyContext) -> None:
    chat = update.effective_chat
    if chat.type != chat.PRIVATE:
        await reply(update, PRIVATE_ONLY["assess"])
        return
    actor = await actor_of(update, context)
    words = command_args(update.effective_message)
    service = context.services.assessments
    if len(words) >= 3:
        view = await service.record(actor, words[0], words[1], words[2], words[3:])
        await reply(update, assessment_text(view, recorded=True))
    elif len(words) == 2:
        await reply(update, assessment_text(await service.view(actor, words[0], words[1])))
    else:
        found = await service.listing(actor, words[0] if words else None)
        await reply(update, assessment_list(found, can_record_assessments(actor)))


@refusing
async def on_follow_up_button(update: Update, context: DutyContext) -> None:
    """`hf:<follow-up id>`: a 书面检讨 or 深刻检查 done; its owner's or the 纪委's."""
    follow_up_id = callbacks.parse_follow_up(update.callback_query.data)
    actor = await actor_of(update, context)
    code, done = await context.services.followups.mark_done_by_id(actor, follow_up_id)
    await toast(update, "已登记完成")
    await reply(update, follow_up_done(code, done))


def register(app: Application) -> None:
    add_command(app, commands.INSPECT, inspect)
    add_command(app, commands.ASSESS, assess)
    app.add_handler(CallbackQueryHandler(on_finding_button, pattern=rf"^{callbacks.FINDING}:"))
    app.add_handler(CallbackQueryHandler(on_follow_up_button,
                                         pattern=rf"^{callbacks.FOLLOW_UP}:"))
