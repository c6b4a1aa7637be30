"""Drive a real PTB Application in-process: users act, updates go through process_update."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram.ext import Application

from bot.app import build_application, running
from bot.clock import Clock
from bot.config import Settings
from bot.fake_telegram.api import Chat, FakeTelegram, Sent, User
from bot.fake_telegram.request import FakeRequest
from bot.inbound.handling import handle
from bot.inbound.lanes import lane_of
from bot.scheduling.sender import OutboxSender
from storage.inbox import Inbound


class BotDriver:
    def __init__(self, app: Application, api: FakeTelegram) -> None:
        self.app = app
        self.api = api

    @property
    def sender(self) -> OutboxSender:
        return self.app.bot_data.sender

    async def tick(self) -> int:
        """What the scheduler does on each tick, at the clock's time: plan, then send.
        Returns how many outbox messages went out."""
        await self.app.bot_data.services.tick()
        return await self.sender.drain()

    async def feed(self, update: dict[str, Any] | None) -> None:
        """Hand one update to the bot as a run does: stored in the inbox (and confirmed),
        then handled from there, its answers sent once its change committed."""
        if update is None:  # privacy mode: Telegram never delivers it
            return
        row = Inbound(update["update_id"], lane_of(update), update)
        await self.app.bot_data.services.inbox.store([row])
        self.api.wait_for_updates(update["update_id"] + 1, 0)
        await handle(self.app, row)

    async def send(self, user: User, text: str, chat: Chat | None = None,
                   reply_to: Sent | None = None) -> dict[str, Any] | None:
        update = self.api.send_text(user, text, chat, reply_to)
        await self.feed(update)
        return update

    async def upload(self, user: User, content: bytes, file_name: str | None,
                     chat: Chat | None = None, **details: Any) -> dict[str, Any] | None:
        update = self.api.send_document(user, content, file_name, chat=chat, **details)
        await self.feed(update)
        return update

    async def press(self, user: User, message: Sent, label: str) -> dict[str, Any]:
        update = self.api.press_button(user, message, label)
        await self.feed(update)
        return update

    async def press_data(self, user: User, message: Sent, data: str) -> dict[str, Any]:
        update = self.api.press(user, message, data)
        await self.feed(update)
        return update


@asynccontextmanager
async def driven_bot(settings: Settings, api: FakeTelegram,
                     clock: Clock | None = None) -> AsyncIterator[BotDriver]:
    app = build_application(settings, api.token, clock=clock, request=FakeRequest(api),
                            rate_limited=False)
    async with running(app):
        yield BotDriver(app, api)
