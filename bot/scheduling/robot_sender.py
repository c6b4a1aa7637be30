"""Drains the outbox's robot messages: each robot at its own pace, one part at a time.

A part is recorded as sent only after the messenger accepted it, so a kill loses nothing
and sends at most the part in flight again; its place in the robot's rate windows is taken
before it goes, so that part sent again cannot overfill a window either. Each robot's next
message goes in its own task: a slow or silenced robot holds up no other robot, and no
Telegram message.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta

import httpx

from bot.channels.message import Outgoing
from bot.channels.robots import (
    Broken,
    Delivered,
    RateLimited,
    Refused,
    RetryLater,
    RobotConfig,
    post,
    robot_kind,
)
from bot.channels.robots.model import RobotKind
from bot.channels.robots.render import render
from bot.channels.robots.transport import DEFAULT_TIMEOUT, LazyClient
from bot.clock import Clock
from bot.domain.channels import RobotChannel
from bot.offload import Offloader, shared
from bot.services.delivery import backoff
from bot.services.robots import BROKEN_RETRY, Pace, RobotOutbox
from messages.outgoing import robot_message
from messages.reminders import SLOW_KINDS
from storage.outbox import OutboxMessage

log = logging.getLogger("dutybot.robots")

IDLE_SECONDS = 5.0  # the longest a robot loop sleeps before it looks again


class RobotSender:
    def __init__(self, robots: RobotOutbox, clock: Clock,
                 client: httpx.AsyncClient | LazyClient, offload: Offloader | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.robots = robots
        self.timeout = timeout  # a request's, and so the latest it can reach the robot
        self.clock = clock
        self.client = client
        self.offload = offload or shared()
        # a shortcut only (the database keeps the send times): when each robot may next
        # take a message, by the clock
        self._not_before: dict[int, datetime] = {}

    async def drain(self) -> tuple[int, float]:
        """One part to each robot that may take one now. Returns how many went out and
        how long until some robot may take another (for the loop to sleep)."""
        if await self.robots.delivery.quiet():
            return 0, IDLE_SECONDS
        now = self.clock.now()
        ready = [(m, c) for m, c in await self.robots.ready()
                 if c is None or self._not_before.get(c.id, now) <= now]
        if not ready:
            return 0, self._next_turn(now)
        results = await asyncio.gather(*(self._one(msg, channel) for msg, channel in ready))
        sent = sum(1 for ok, _wait in results if ok)
        return sent, 0.0 if sent else self._next_turn(self.clock.now())

    def _next_turn(self, now: datetime) -> float:
        waits = [(t - now).total_seconds() for t in self._not_before.values() if t > now]
        return min([*waits, IDLE_SECONDS])

    async def _one(self, msg: OutboxMessage, channel: RobotChannel | None) -> tuple[bool, float]:
        try:
            return await self._send(msg, channel)
        except Exception as exc:  # one bad message must not hold up every one behind it
            log.exception("robot message %s could not be handled", msg.id)
            await self.robots.delivery.failed(msg, repr(exc))
            return False, 0.0

    async def _send(self, msg: OutboxMessage,
                    channel: RobotChannel | None) -> tuple[bool, float]:
        if channel is None:
            await self.robots.gone(msg)
            return False, 0.0
        if not channel.healthy:  # nothing goes until `dutybot channel test` mends it
            await self.robots.hold(msg, BROKEN_RETRY.total_seconds())
            return False, 0.0
        kind = robot_kind(channel.kind)
        wait = await self.robots.wait(channel, _pace(kind))
        if wait > 0:  # not this robot's turn yet: the message waits where it is
            self._not_before[channel.id] = self.clock.now() + timedelta(seconds=wait)
            return False, wait
        message = await self._message(msg, channel)
        payloads = render(kind, message, channel.keyword) if message else []
        if not payloads or msg.parts_sent >= len(payloads):
            await self.robots.delivery.skipped(msg)
            return False, 0.0
        index = msg.parts_sent
        if index == 0 and message is not None:
            unnamed = [(m.person, m.name) for m in message.mentions()
                       if m.person is not None and not kind.reaches(m)]
            if unnamed:  # named, not @-ed: the admins learn once per person
                await self.robots.unreachable(channel, unnamed)
        robot = RobotConfig(kind.name, channel.webhook, channel.secret, channel.keyword)
        # counted before it goes: a kill after the robot took it must not lose the count
        send_id = await self.robots.reserve(channel, self.timeout)
        outcome = await post(self.client, robot, payloads[index], self.clock.now(),
                             self.timeout)
        if isinstance(outcome, RateLimited | Broken | Refused):  # answered: not taken
            await self.robots.unreserve(send_id)
        match outcome:
            case Delivered():
                await self.robots.delivery.delivered(msg, index + 1,
                                                     index + 1 == len(payloads), None, send_id)
                return True, 0.0
            case RateLimited():
                await self.robots.too_fast(msg, channel, kind.limits.silenced_seconds,
                                           f"{outcome.code}: {outcome.message}")
            case Broken():
                await self.robots.broken(msg, channel, outcome.reason.value,
                                         f"{outcome.code}: {outcome.message}")
            case Refused():
                await self.robots.refused(msg, f"{outcome.code}: {outcome.message}")
            case RetryLater():
                log.warning("robot %s did not answer properly: %s", channel.id, outcome.detail)
                await self.robots.delivery.retry(msg, backoff(msg.attempts), outcome.detail)
        return False, 0.0

    async def _message(self, msg: OutboxMessage, channel: RobotChannel) -> Outgoing | None:
        """Built again for every part (the same for the same day), so nothing but the
        count of parts sent needs keeping between them."""
        today = self.clock.now().date()
        confidential = self.robots.is_confidential(channel)
        if msg.kind in SLOW_KINDS:  # a chart: drawn in a child process
            return await self.offload.run(_message, msg.kind, msg.payload, today, confidential)
        return _message(msg.kind, msg.payload, today, confidential)


def _message(kind: str, payload: dict, today: date, confidential: bool) -> Outgoing | None:
    return robot_message(kind, payload, today, confidential)


def _pace(kind: RobotKind) -> Pace:
    return Pace(tuple((w.count, w.seconds) for w in kind.limits.windows),
                kind.limits.avoid_half_hours)
