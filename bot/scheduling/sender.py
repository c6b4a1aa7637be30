"""Drains the outbox through the bot (and so through PTB's rate limiter).

A message is marked sent only after Telegram accepted it, part by part: killed at any
point, the bot resends at most the one message that was in flight.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message
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
from handlers import answers
from messages.reminders import SLOW_KINDS, render_outbox
from messages.telegram import Rendered
from storage.outbox import ANSWER_KIND, OutboxMessage

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
        quiet = False
        while limit is None or sent < limit:
            if self.pause_left():
                break
            if sent % QUIET_CHECK_EVERY == 0:  # in quiet hours only answers go out
                quiet = await self.delivery.quiet()
            msg = await self.delivery.next_ready(after, answers_only=quiet)
            if msg is None:
                break
            after = msg.id
            if await self._send_safely(msg):
                sent += 1
        return sent

    async def send_now(self, queued: OutboxMessage | None) -> None:
        """The answers a handler just queued with its change (as stored: nothing is read
        back), at once — quiet hours or not: somebody just asked. What fails is the outbox's
        to try again, as for any message; should even that fail, they are released to it."""
        if queued is None:
            return
        try:
            await self._send_safely(queued)
        except Exception:
            log.exception("answers %s could not be sent now; the outbox sends them", queued.id)
            with contextlib.suppress(Exception):
                await self.delivery.release_answers([queued.id])

    async def _send_safely(self, msg: OutboxMessage) -> bool:
        try:
            return await self._send(msg)
        except Exception as exc:  # one bad message must not hold up every one behind it
            log.exception("outbox message %s could not be handled", msg.id)
            await self.delivery.failed(msg, repr(exc))
            return False

    async def _send(self, msg: OutboxMessage) -> bool:
        if msg.kind == ANSWER_KIND:  # in order, part by part, to the chat as it is now
            calls = msg.payload["calls"]
            return await self._send_parts(
                msg, len(calls), lambda index, _last: self._call(calls[index], msg.chat_id))
        today = self.clock.now().date()
        if msg.kind in SLOW_KINDS:  # a chart: drawn in a child process
            rendered = await self.offload.run(render_outbox, msg.kind, msg.payload, today)
        else:
            rendered = render_outbox(msg.kind, msg.payload, today)
        if rendered.count == 0:  # e.g. a chart with no CJK font to draw it: nothing to send
            await self.delivery.skipped(msg)
            return False
        return await self._send_parts(
            msg, rendered.count,
            lambda index, last: self._send_part(msg.chat_id, rendered, index, last))

    async def _send_parts(self, msg: OutboxMessage, count: int,
                          send: Callable[[int, bool], Awaitable[int | None]]) -> bool:
        """Part by part from where the last try stopped, each recorded once accepted."""
        for index in range(msg.parts_sent, count):
            last = index == count - 1
            try:
                accepted = await send(index, last)
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
                elif msg.kind == ANSWER_KIND and _harmless(exc):
                    await self.delivery.delivered(msg, index + 1, last, None)
                    continue
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
            if last or not _repeatable(msg, index):
                await self.delivery.delivered(msg, index + 1, last, accepted)
        return True

    async def _send_part(self, chat_id: int, rendered: Rendered, index: int,
                         last: bool) -> int:
        """The photo and the document (if any) go first, then the text parts; buttons go
        with the last."""
        markup = rendered.keyboard if last else None
        if rendered.photo is not None:
            if index == 0:
                sent = await self.bot.send_photo(chat_id=chat_id, photo=rendered.photo,
                                                 caption=rendered.caption, reply_markup=markup)
                return sent.message_id
            index -= 1
        if rendered.document is not None:
            if index == 0:
                name, data = rendered.document
                sent = await self.bot.send_document(chat_id=chat_id, document=data,
                                                    filename=name, reply_markup=markup)
                return sent.message_id
            index -= 1
        sent = await self.bot.send_message(chat_id=chat_id, text=rendered.parts[index],
                                           reply_markup=markup)
        return sent.message_id

    async def answer_at_once(self, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The answers of an update that changed nothing, made before it is marked done, so
        that nobody's reading waits for somebody else's writing (killed in between, it is
        answered once more after the restart). Those that cannot go now (Telegram asks to
        wait, the network, a group that moved) are returned, for the outbox to send; one
        Telegram refuses for good is logged and dropped, as the outbox would."""
        for index, call in enumerate(calls):
            try:
                await self._call(call, call["chat_id"])
            except (RetryAfter, ChatMigrated, NetworkError):
                return calls[index:]
            except BadRequest as exc:
                if not _harmless(exc):
                    log.warning("Telegram refused an answer (%s): %s", call["method"],
                                exc.message)
            except TelegramError as exc:  # blocked by the user, removed from the group
                log.warning("cannot answer in chat %s: %s", call["chat_id"], exc)
        return []

    async def _call(self, payload: dict[str, Any], chat_id: int) -> int | None:
        """An answer to an update, as its handler asked for it (handlers/answers.py), to
        `chat_id` (the chat's id now: a group may have become a supergroup meanwhile)."""
        params = dict(payload)
        method = params.pop("method")
        params.pop("chat_id")
        if "reply_markup" in params:
            params["reply_markup"] = InlineKeyboardMarkup.de_json(params["reply_markup"],
                                                                  self.bot)
        if method == answers.ANSWER_QUERY:
            await self.bot.answer_callback_query(**params)
            return None
        if method == answers.EDIT_TEXT:
            result = await self.bot.edit_message_text(chat_id=chat_id, **params)
        elif method == answers.EDIT_MARKUP:
            result = await self.bot.edit_message_reply_markup(chat_id=chat_id, **params)
        elif method == answers.PHOTO:
            photo = base64.b64decode(params.pop("photo"))
            result = await self.bot.send_photo(chat_id=chat_id, photo=photo, **params)
        else:
            result = await self.bot.send_message(chat_id=chat_id, **params)
        return result.message_id if isinstance(result, Message) else None


def _repeatable(msg: OutboxMessage, index: int) -> bool:
    """A part of an answer that may go again without anyone seeing it twice — a toast
    (Telegram refuses a second answer to one press: harmless, below) or an edit (the same
    text again: "not modified") — is not recorded on its own: the part after it records
    both, one round trip fewer for a tap. Killed in between, it goes once more."""
    if msg.kind != ANSWER_KIND:
        return False
    return msg.payload["calls"][index]["method"] in (answers.ANSWER_QUERY, answers.EDIT_TEXT,
                                                     answers.EDIT_MARKUP)


def _harmless(exc: BadRequest) -> bool:
    """An edit that changes nothing, or a button press too old to answer (after a
    restart): nothing is lost, and nothing to retry."""
    text = exc.message.lower()
    return "not modified" in text or "query is too old" in text or "query id is invalid" in text
