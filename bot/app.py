"""Assembling the Application: settings in, handlers wired, services opened on start."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.scheduling.rate_limit import SlidingWindowRateLimiter
from bot.scheduling.scheduler import Scheduler
from bot.services.registry import Services
from handlers import (
    export,
    fallback,
    flows,
    guard,
    imports,
    items,
    people,
    reminders,
    replies,
    start,
    summary,
)
from handlers.context import BotData, DutyContext
from messages.commands import menu
from messages.common import internal_error

log = logging.getLogger("dutybot")


def build_application(
    settings: Settings,
    token: str,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    rate_limited: bool = True,
) -> Application:
    """Nothing happens at import time: this builds the bot from what it is given.

    Rate limiting (Telegram's 30 messages/s, 20/min per group, about 1/s per chat) is on
    for real runs; in-process tests switch it off so that they need not wait out the group
    limit."""
    # RetryAfter.retry_after as a timedelta, as PTB 23 will have it, without its warnings
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.api_url)
        .base_file_url(settings.file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .context_types(ContextTypes(context=DutyContext, bot_data=BotData))
        .post_init(on_run)
        .post_stop(on_stop)
        .post_shutdown(on_shutdown)
    )
    if rate_limited:
        # sliding windows: 29 in any second overall, 20 a minute per group, about one a
        # second per chat; a RetryAfter comes back to the outbox, which owns the retrying
        builder = builder.rate_limiter(SlidingWindowRateLimiter())
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app = builder.build()
    app.bot_data.settings = settings
    app.bot_data.clock = clock or SystemClock(settings.tz)
    register_handlers(app)
    app.add_error_handler(on_error)
    return app


def register_handlers(app: Application) -> None:
    """Order matters: within a group the first matching handler wins."""
    guard.register(app)  # group -1: replayed updates and unregistered groups stop here
    start.register(app)
    people.register(app)
    items.register(app)
    reminders.register(app)
    summary.register(app)  # /周报, /逾期
    replies.register(app)  # item buttons, 延期, 销号, /汇报, /整改, /约谈
    export.register(app)  # /导出: the Excel 台账 as a document
    imports.register(app)  # documents: an .xlsx to import
    flows.register(app)  # flow buttons
    replies.register_replies(app)  # text replying to the bot about items: a note
    flows.register_text(app)  # plain text: an answer to a flow, else a hint
    fallback.register(app)  # unknown commands (ASCII or Chinese) and unknown buttons


async def on_startup(app: Application) -> None:
    data: BotData = app.bot_data
    data.services = await Services.open(data.settings, data.clock)
    await app.bot.set_my_commands(menu())
    log.info("dutybot started as @%s", app.bot.username)


async def on_run(app: Application) -> None:
    """A real run (`dutybot run`): services, and the clockwork that plans and sends."""
    await on_startup(app)
    data: BotData = app.bot_data
    data.scheduler = Scheduler(app, data.services)
    data.scheduler.start()


async def on_stop(app: Application) -> None:
    scheduler = getattr(app.bot_data, "scheduler", None)
    if scheduler is not None:
        await scheduler.stop()


async def on_shutdown(app: Application) -> None:
    services = getattr(app.bot_data, "services", None)
    if services is not None:
        await services.close()


async def on_error(update: object, context: DutyContext) -> None:
    """Logged; the one who tapped gets a toast, a private chat gets a line, and a group
    gets nothing (an error is not for everyone in it to read)."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    chat = update.effective_chat
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(internal_error())
        elif chat is not None and chat.type == chat.PRIVATE:
            await context.bot.send_message(chat.id, internal_error())
    except Exception:  # the error reply itself failed: logged above, nothing more to do
        log.warning("could not tell the user about the error")


@asynccontextmanager
async def running(app: Application) -> AsyncIterator[Application]:
    """Start the bot without polling (tests and the demo feed updates themselves)."""
    await app.initialize()
    await on_startup(app)
    try:
        yield app
    finally:
        await on_shutdown(app)
        await app.shutdown()
