"""/周报 and /逾期: the 纪委's picture, on demand."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import Application

from bot.domain.model import GroupKind
from handlers.commands import add_command
from handlers.common import actor_of, refusing, reply
from handlers.context import DutyContext
from messages import commands
from messages.chart import render_chart
from messages.summary import chart_caption, chart_data, overdue, weekly

log = logging.getLogger("dutybot.summary")


@refusing
async def weekly_summary(update: Update, context: DutyContext) -> None:
    """The summary now: 纪委 members and the 书记, in private chat or in a 纪委 group.
    Anywhere else one line, and no data."""
    actor = await actor_of(update, context)
    chat = update.effective_chat
    summary = await context.services.summary.weekly_for(actor, *await _chat(update, context))
    await reply(update, weekly(summary))
    # matplotlib is slow and blocking: off the event loop, so nobody else waits
    try:
        png = await asyncio.to_thread(render_chart, chart_data(summary))
    except Exception:  # the text went out; a chart that cannot be drawn must not undo it
        log.exception("the weekly chart could not be drawn")
        return
    if png is not None:
        await context.bot.send_photo(chat.id, png, caption=chart_caption(summary))


@refusing
async def overdue_items(update: Update, context: DutyContext) -> None:
    """Overdue items in the asker's scope, worst first."""
    actor = await actor_of(update, context)
    kind, in_group = await _chat(update, context)
    view = await context.services.summary.overdue_for(actor, kind, in_group)
    await reply(update, overdue(view.lines, view.total, view.today, view.everything))


async def _chat(update: Update, context: DutyContext) -> tuple[GroupKind | None, bool]:
    """What kind of registered group the command came from, if it came from a group."""
    chat = update.effective_chat
    if chat.type == chat.PRIVATE:
        return None, False
    group = await context.services.groups.get(chat.id)
    return (group.kind if group else None), True


def register(app: Application) -> None:
    add_command(app, commands.WEEKLY, weekly_summary)
    add_command(app, commands.OVERDUE, overdue_items)
