"""Drains the outbox through the bot (and so through PTB's rate limiter).

A message is marked sent only after Telegram accepted it, part by part: killed at any
point, the bot resends at most the one message that was in flight.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from telegram import Bot, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.clock import Clock
from bot.offload import Offloader, shared
from bot.scheduling.rate_limit import retry_after_seconds
from bot.services.delivery import DeliveryService, backoff
from messages.reminders import SLOW_KINDS, Rendered, render_outbox
from storage.outbox import OutboxMessage

log = logging.getLogger("dutybot.sender")

QUIET_CHECK_EVERY = 20  # messages: quiet hours are looked up now and then, not per message


class OutboxSender:
    def __init__(self, bot: Bot, delivery: DeliveryService, clock: Clock,
                 offload: Offloader | None = None) -> None:
        self.bot = bot
        self.delivery = delivery
        self.clock = clock
        self.offload = offload or shared()  # where charts are drawn (bot/offload.py)
        self.paused_until = 0.0  # time.monotonic() before which Telegram asked us to wait

    def pause_left(self) -> float:
        return max(0.0, self.paused_until - time.monotonic())

    async def drain(self, limit: int | None = None) -> int:
        """Send what is ready now, oldest first; returns how many messages went out.
        Stops early for quiet hours or when Telegram says to slow down."""
        sent = 0
        after = 0
        while limit is None or sent < limit:
            if self.pause_left():
                break
            if sent % QUIET_CHECK_EVERY == 0 and await self.delivery.quiet():
                break
            msg = await self.delivery.next_ready(after)
            if msg is None:
                break
            after = msg.id
            try:
                if await self._send(msg):
                    sent += 1
            except Exception as exc:  # one bad message must not hold up every one behind it
                log.exception("outbox message %s could not be handled", msg.id)
                await self.delivery.failed(msg, repr(exc))
        return sent

    async def _send(self, msg: OutboxMessage) -> bool:
        today = self.clock.now().date()
        if msg.kind in SLOW_KINDS:  # a chart: drawn in a child process
            rendered = await self.offload.run(render_outbox, msg.kind, msg.payload, today)
        else:
            rendered = render_outbox(msg.kind, msg.payload, today)
        if rendered.count == 0:  # e.g. a chart with no CJK font to draw it: nothing to send
            await self.delivery.skipped(msg)
            return False
        for index in range(msg.parts_sent, rendered.count):
            last = index == rendered.count - 1
            try:
                accepted = await self._send_part(msg.chat_id, rendered, index, last)
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                self.paused_until = time.monotonic() + wait
                log.info("Telegram asks to wait %.1f s", wait)
                await self.delivery.retry(msg, timedelta(seconds=wait), "RetryAfter",
                                          count_attempt=False)
                return False
            except Forbidden as exc:
                log.warning("cannot deliver to chat %s: %s", msg.chat_id, exc.message)
                await self.delivery.undeliverable(msg, exc.message)
                return False
            except ChatMigrated as exc:
                await self.delivery.chat_moved(msg, exc.new_chat_id)
                return False
            except BadRequest as exc:
                if "chat not found" in exc.message.lower():
                    await self.delivery.undeliverable(msg, exc.message)
                else:
                    await self.delivery.failed(msg, exc.message)
                return False
            except NetworkError as exc:  # timeouts and connection errors: try again later
                log.warning("network error sending outbox message %s: %s", msg.id, exc)
                await self.delivery.retry(msg, backoff(msg.attempts), str(exc))
                return False
            except TelegramError as exc:
                await self.delivery.failed(msg, str(exc))
                return False
            await self.delivery.delivered(msg, index + 1, last, accepted.message_id)
        return True

    async def _send_part(self, chat_id: int, rendered: Rendered, index: int,
                         last: bool) -> Message:
        """The photo (if any) goes first, then the text parts; buttons go with the last."""
        markup = rendered.keyboard if last else None
        if rendered.photo is not None:
            if index == 0:
                return await self.bot.send_photo(chat_id=chat_id, photo=rendered.photo,
                                                 caption=rendered.caption, reply_markup=markup)
            index -= 1
        return await self.bot.send_message(chat_id=chat_id, text=rendered.parts[index],
                                           reply_markup=markup)
