"""A typed CallbackContext: `context.services` and `context.settings` instead of string keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.domain.model import Actor
from bot.services.registry import Services

if TYPE_CHECKING:
    from bot.board.server import BoardServer
    from bot.channels.robots.transport import LazyClient
    from bot.inbound.dispatcher import Dispatcher
    from bot.inbound.poller import Poller
    from bot.inbound.webhook import WebhookServer
    from bot.leader import Leader
    from bot.scheduling.scheduler import Scheduler
    from bot.scheduling.sender import OutboxSender


class BotData:
    """What the application holds for all handlers; filled in by bot/app.py."""

    settings: Settings
    clock: Clock
    services: Services
    sender: OutboxSender  # the outbox's sender: answers right after their commit, and the rest
    scheduler: Scheduler | None = None  # only in a real run; tests drive the clock themselves
    dispatcher: Dispatcher | None = None  # only in a real run; tests hand updates in themselves
    poller: Poller | None = None
    webhook: WebhookServer | None = None  # webhook mode's HTTP server (issue 23)
    webhook_secret: str | None = None  # webhook mode: the one secret every process shares
    http: LazyClient | None = None  # only in a real run: to the office group robots
    board: BoardServer | None = None  # the 纪委 看板's web server, with --board (issue 24)
    leader: Leader | None = None  # only in a real run: whether this process leads (issue 23)


class DutyContext(CallbackContext[ExtBot, dict, dict, BotData]):
    #: who sent the update, as the guard read it when it arrived (handlers/common.py actor_of)
    arrived: Actor | None = None

    @property
    def services(self) -> Services:
        return self.bot_data.services

    @property
    def settings(self) -> Settings:
        return self.bot_data.settings
