"""/周报 and /逾期: the 纪委's picture, on demand."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from handlers.commands import add_command
from handlers.common import actor_of, chat_group, refusing, reply, reply_photo, toast
from handlers.context import DutyContext
from messages import callbacks, commands
from messages.summary import (
    chart,
    chart_caption,
    details_keyboard,
    overdue,
    weekly,
    weekly_details,
)

log = logging.getLogger("dutybot.summary")


@refusing
async def weekly_summary(update: Update, context: DutyContext) -> None:
    """The summary now: 纪委 members and the 书记, in private chat or in a 纪委 group.
    Anywhere else one line, and no data."""
    actor = await actor_of(update, context)
    summary = await context.services.summary.weekly_for(actor, await chat_group(update, context))
    await reply(update, weekly(summary, buttons=True), details_keyboard())
    # matplotlib is slow and blocking: in a child process, so nobody else waits
    try:
        png = await context.services.offload.run(chart, summary)
    except Exception:  # the text went out; a chart that cannot be drawn must not undo it
        log.exception("the weekly chart could not be drawn")
        return
    if png is not None:
        await reply_photo(update, png, chart_caption(summary))


@refusing
async def weekly_more(update: Update, context: DutyContext) -> None:
    """`wk:more` under a summary: the details, computed now, for whoever may read the
    summary here (rights re-checked: a group member who may not gets a toast, no data)."""
    callbacks.parse_weekly_more(update.callback_query.data)
    actor = await actor_of(update, context)
    summary = await context.services.summary.weekly_for(actor, await chat_group(update, context))
    await toast(update)
    await reply(update, weekly_details(summary))


@refusing
async def overdue_items(update: Update, context: DutyContext) -> None:
    """Overdue items in the asker's scope, worst first."""
    actor = await actor_of(update, context)
    view = await context.services.summary.overdue_for(actor, await chat_group(update, context))
    await reply(update, overdue(view.lines, view.total, view.today, view.everything))


def register(app: Application) -> None:
    add_command(app, commands.WEEKLY, weekly_summary)
    add_command(app, commands.OVERDUE, overdue_items)
    app.add_handler(CallbackQueryHandler(weekly_more, pattern=rf"^{callbacks.WEEKLY_MORE}$"))
