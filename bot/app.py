"""Assembling the Application: settings in, handlers wired, services opened on start."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, tzinfo
from urllib.parse import urlsplit

import httpx
from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    ContextTypes,
    Defaults,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.channels.robots.transport import LazyClient
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.inbound.dispatcher import Dispatcher
from bot.inbound.handling import handle
from bot.inbound.poller import ALLOWED_UPDATES, Poller
from bot.inbound.webhook import WebhookFailed, WebhookServer
from bot.leader import Leader
from bot.scheduling.rate_limit import SharedRateLimiter, SlidingWindowRateLimiter
from bot.scheduling.robot_sender import RobotSender
from bot.scheduling.scheduler import Scheduler
from bot.scheduling.sender import OutboxSender
from bot.services.registry import Services
from handlers import (
    answers,
    board,
    cases,
    channels,
    delegation,
    export,
    fallback,
    flows,
    guard,
    handover,
    imports,
    inspections,
    items,
    letters,
    people,
    reminders,
    replies,
    start,
    summary,
)
from handlers.common import reply, toast
from handlers.context import BotData, DutyContext
from messages.cli import api_refused, api_unreachable, webhook_listen_failed, webhook_refused
from messages.commands import menu
from messages.common import internal_error, no_admin_warning
from storage.workers import Leadership

log = logging.getLogger("dutybot")

STOP_GRACE_SECONDS = 10  # for the updates in hand when a stop is asked for


def build_application(
    settings: Settings,
    token: str,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    rate_limited: bool = True,
) -> Application:
    """Nothing happens at import time: this builds the bot from what it is given.

    PTB's two HTTP clients (getUpdates' and every other call's) are the ones its builder
    makes, with one TLS context between them: making each its own reads the CA file twice
    (some 20 ms each) before the first answer.

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
    )
    if rate_limited:
        # sliding windows: 29 in any second overall, 20 a minute per group, about one a
        # second per chat; a RetryAfter comes back to the outbox, which owns the retrying.
        # On PostgreSQL the windows live in the database: several processes share them.
        builder = builder.rate_limiter(
            SharedRateLimiter(settings.database_url) if settings.database_url
            else SlidingWindowRateLimiter())
    polls = request
    if request is None:  # as PTB's builder makes them (its pool sizes), with one TLS context
        tls = httpx.create_ssl_context()
        request = HTTPXRequest(httpx_kwargs={"verify": tls})
        polls = HTTPXRequest(connection_pool_size=1, httpx_kwargs={"verify": tls})
    builder = builder.request(request).get_updates_request(polls)
    # no PTB updater: updates come through the durable inbox (bot/inbound)
    app = builder.updater(None).build()
    app.bot_data.settings = settings
    app.bot_data.clock = clock or SystemClock(settings.tz)
    register_handlers(app)
    app.add_error_handler(on_error)
    return app


def register_handlers(app: Application) -> None:
    """Order matters: within a group the first matching handler wins."""
    guard.register(app)  # group -1: replayed updates and unregistered groups stop here
    items.register(app)  # /我的清单, /待办 first: the commands of every day, checked first
    start.register(app)
    people.register(app)
    reminders.register(app)
    summary.register(app)  # /周报, /逾期
    replies.register(app)  # item buttons, 延期, 销号, /汇报, /整改, /约谈
    export.register(app)  # /导出: the Excel 台账 as a document
    channels.register(app)  # /渠道: the office's group robots, keys masked
    cases.register(app)  # /问责: the 问责 register, private chat only
    handover.register(app)  # /交接: 人员交接, private chat only (admins)
    letters.register(app)  # /责任书, /对账: 签字背书 and the year-end 对账, private only
    delegation.register(app)  # /分解, /传导: 责任传导 across owners
    inspections.register(app)  # /监督检查, /考核 and the finding buttons
    board.register(app)  # /看板: a one-time login link to the 纪委 看板, private only
    imports.register(app)  # documents: an .xlsx to import
    flows.register(app)  # flow buttons
    replies.register_replies(app)  # text replying to the bot about items: a note
    flows.register_text(app)  # plain text: an answer to a flow, else a hint
    fallback.register(app)  # unknown commands (ASCII or Chinese) and unknown buttons


async def on_startup(app: Application) -> None:
    data: BotData = app.bot_data
    data.services = await Services.open(data.settings, data.clock)
    data.sender = OutboxSender(app.bot, data.services.delivery, data.services.clock)
    await app.bot.set_my_commands(menu())
    log.info("dutybot started as @%s", app.bot.username)


async def on_run(app: Application) -> None:
    """A real run (`dutybot run`): services, the inbox served, and the clockwork that plans
    and sends."""
    data: BotData = app.bot_data
    office_time_in_logs(data.settings.tz)  # from the first line on
    await on_startup(app)
    warn_if_no_admins(data.settings)
    # answers of a run killed before it sent them go first
    await data.services.delivery.release_answers()
    data.dispatcher = Dispatcher(data.services.inbox, lambda row: handle(app, row))
    data.dispatcher.start()
    if data.settings.webhook_url:  # every process listens; the leader sets the webhook
        await start_webhook(app)
    data.http = LazyClient()  # to the office group robots, made at their first message
    robots = RobotSender(data.services.robots, data.services.clock, data.http,
                         data.services.offload)
    # several processes on one PostgreSQL: one leads (bot/leader.py); on SQLite, this one
    url = data.settings.database_url
    data.leader = Leader(Leadership(url) if url else None, lambda: lead(app),
                         lambda: stop_leading(app))
    await data.leader.start()
    data.scheduler = Scheduler(app, data.services, data.sender, robots,
                               leading=lambda: data.leader is not None and data.leader.leading)
    data.scheduler.start()
    data.board = await start_board(data.settings, data.services)


def office_time_in_logs(tz: tzinfo) -> None:
    """Every log line's time in the office's time zone (DUTYBOT_TIMEZONE), whatever the
    server's own zone: the times people read in chat and in the log are the same."""
    def converter(seconds: float | None) -> time.struct_time:
        moment = datetime.fromtimestamp(time.time() if seconds is None else seconds, tz)
        return moment.timetuple()

    for handler in logging.getLogger().handlers:
        if handler.formatter is not None:
            handler.formatter.converter = converter  # type: ignore[method-assign]


def warn_if_no_admins(settings: Settings) -> None:
    """Nobody can set the bot up from the chat without a bootstrap admin: said in the log
    and on the console, once, at start-up."""
    if settings.admin_ids:
        return
    log.warning("DUTYBOT_ADMIN_IDS is empty: no bootstrap admin can register units, people "
                "or groups from the chat")
    print(no_admin_warning(), file=sys.stderr, flush=True)


async def lead(app: Application) -> None:
    """This process became the leader: it receives the updates from Telegram (webhook
    mode: tells Telegram where to post; polling: the only one that polls)."""
    data: BotData = app.bot_data
    if data.settings.webhook_url:
        await set_webhook(app)
    elif data.poller is None:  # a webhook left from an earlier run is removed first
        data.poller = Poller(app.bot, data.services.inbox, data.dispatcher.wake)
        data.poller.start()
    if data.scheduler is not None:  # taken over from a leader that died: plan at once
        data.scheduler.tick_soon()


async def stop_leading(app: Application) -> None:
    """No longer the leader (its database connection lost, or stopping): stop polling at
    once, so two processes never poll together."""
    data: BotData = app.bot_data
    if data.poller is not None:
        poller, data.poller = data.poller, None
        await poller.stop()


async def start_webhook(app: Application) -> None:
    """Webhook mode (bot/inbound/webhook.py): the server listens first, then Telegram is told
    where to post, with the one secret every process shares (bot/services/webhook.py). The
    webhook stays set when the bot stops: Telegram keeps the updates until it is back."""
    data: BotData = app.bot_data
    settings = data.settings
    configured = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    secret = await data.services.webhook.secret(configured)
    host, port = settings.listen_address
    data.webhook = WebhookServer(data.services.inbox, secret, settings.webhook_path, host, port,
                                 data.services.webhook.health, data.dispatcher.wake)
    try:
        await data.webhook.start()
    except OSError as exc:
        raise WebhookFailed(webhook_listen_failed(settings.listen, exc.strerror or str(exc))
                            ) from None
    data.webhook_secret = secret
    log.info("webhook mode: listening on %s:%s", host, data.webhook.port)


async def set_webhook(app: Application) -> None:
    """Tell Telegram where to post (the leader only: each setWebhook replaces the last)."""
    data: BotData = app.bot_data
    settings = data.settings
    try:
        await app.bot.set_webhook(str(settings.webhook_url), secret_token=data.webhook_secret,
                                  allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
    except TelegramError as exc:
        raise WebhookFailed(webhook_refused(exc.message)) from None
    log.info("webhook mode: Telegram posts to https://%s",
             urlsplit(str(settings.webhook_url)).netloc)


async def start_board(settings: Settings, services: Services):
    """The 纪委 看板 (bot/board/), when `--board` / DUTYBOT_BOARD_LISTEN says where."""
    if settings.board_address is None:
        return None
    from bot.board.server import BoardServer

    host, port = settings.board_address
    server = BoardServer(services.board, settings, host, port)
    try:
        await server.start()
    except OSError as exc:
        from messages.board import board_listen_failed

        raise WebhookFailed(board_listen_failed(settings.board_listen or "",
                                                exc.strerror or str(exc))) from None
    return server


async def on_stop(app: Application) -> None:
    """Stop taking updates, finish those in hand, then stop the clockwork."""
    data: BotData = app.bot_data
    if data.board is not None:
        await data.board.stop()
    if data.webhook is not None:
        await data.webhook.stop()
    if data.leader is not None:  # stops polling; another process takes over the lead
        await data.leader.stop()
    if data.poller is not None:
        await data.poller.stop()
    if data.dispatcher is not None:
        await data.dispatcher.stop(STOP_GRACE_SECONDS)
    if data.scheduler is not None:
        await data.scheduler.stop()
    if data.http is not None:
        await data.http.aclose()


async def on_shutdown(app: Application) -> None:
    services = getattr(app.bot_data, "services", None)
    if services is not None:
        await services.close()


async def on_error(update: object, context: DutyContext) -> None:
    """An unexpected error: what the update changed is undone (bot/inbound/handling.py).
    Logged; the one who tapped gets a toast, a private chat gets a line, and a group gets
    nothing (an error is not for everyone in it to read)."""
    log.error("error while handling an update", exc_info=context.error)
    collected = answers.current()
    if collected is not None:
        collected.discard()
    if isinstance(update, Update):
        chat = update.effective_chat
        if update.callback_query is not None:
            await toast(update, internal_error())
        elif chat is not None and chat.type == chat.PRIVATE:
            await reply(update, internal_error())
    # no handler of a later group runs on an update whose change is being undone
    raise ApplicationHandlerStop


class ApiUnusable(Exception):
    """The Bot API refused the token or could not be reached at start-up; one line."""


async def initialized(app: Application) -> None:
    """PTB's start-up, whose getMe is the check of the token and the server: a refusal is
    one line (ApiUnusable), not a traceback, and no second getMe is spent on it first."""
    settings: Settings = app.bot_data.settings
    try:
        await app.initialize()
    except InvalidToken:
        raise ApiUnusable(api_refused(settings.telegram_api_base_url)) from None
    except NetworkError as exc:
        raise ApiUnusable(api_unreachable(settings.telegram_api_base_url, exc.message)) from None


async def serve(app: Application) -> None:
    """`dutybot run`: until SIGTERM or SIGINT, then a clean stop (nothing in hand lost)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await initialized(app)
    try:
        try:
            await on_run(app)
        except BaseException:  # webhook mode could not start: what did start stops first
            await on_stop(app)
            raise
        await app.start()
        try:
            await stop.wait()
        finally:
            await on_stop(app)
            await app.stop()
    finally:
        await on_shutdown(app)
        await app.shutdown()


async def serve_robots(settings: Settings, clock: Clock | None = None) -> None:
    """`dutybot run` in an office without Telegram: the plan and the weekly summary on
    the clock, pushed to the office's group robots only, until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    services = await Services.open(settings, clock or SystemClock(settings.tz))
    url = settings.database_url  # several processes on PostgreSQL: the leader pushes
    leader = Leader(Leadership(url) if url else None, _nothing, _nothing)
    try:
        await leader.start()
        async with httpx.AsyncClient() as http:
            robots = RobotSender(services.robots, services.clock, http, services.offload)
            scheduler = Scheduler(None, services, None, robots,
                                  leading=lambda: leader.leading)
            scheduler.start()
            log.info("dutybot started without Telegram: pushing to the office's group robots")
            board = None
            try:
                board = await start_board(settings, services)  # links: dutybot board-link
                await stop.wait()
            finally:
                if board is not None:
                    await board.stop()
                await scheduler.stop()
    finally:
        await leader.stop()
        await services.close()


async def _nothing() -> None:
    """Without Telegram, leading changes nothing but what the scheduler asks."""


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
