"""The outbox's side of the office group robots: what each robot may send next and when,
and what became of each attempt (bot/scheduling/robot_sender.py talks to the messengers).

Like the Telegram side (bot/services/delivery.py), every outcome is recorded with its
consequences in one transaction: a robot that is too fast waits alone; a robot whose key
or security check fails is marked broken, its message set aside and the admins told once;
the others go on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.domain.channels import RobotChannel
from bot.domain.rate_windows import half_hour_wait, spread_offset, window_wait
from bot.domain.target import ROBOT, Target
from bot.services.base import ServiceBase
from bot.services.delivery import DeliveryService
from bot.services.reminders import admin_chats
from storage.db import Database
from storage.outbox import OutboxMessage, OutboxStatus

log = logging.getLogger("dutybot.robots")

RATE_BACKOFF = timedelta(seconds=60)  # a messenger that says "too fast" without saying how long
SEND_MEMORY = timedelta(hours=1)  # longer than any rate window
BROKEN_RETRY = timedelta(minutes=5)  # a broken robot's messages look again this often


@dataclass(frozen=True, slots=True)
class Pace:
    """A robot's rate: its windows (count, seconds), whether it avoids :00/:30."""

    windows: tuple[tuple[int, float], ...]
    avoid_half_hours: bool = False


class RobotOutbox(ServiceBase):
    def __init__(self, db: Database, clock: Clock, delivery: DeliveryService,
                 confidential: bool = False) -> None:
        super().__init__(db, clock)
        self.delivery = delivery
        self.confidential = confidential  # DUTYBOT_CONFIDENTIAL; a channel may override

    def is_confidential(self, channel: RobotChannel) -> bool:
        return channel.is_confidential(self.confidential)

    async def ready(self) -> list[tuple[OutboxMessage, RobotChannel | None]]:
        """The next message due for each robot, with the robot (None: it was removed)."""
        async with self.db.read() as tx:
            messages = await tx.outbox.next_per_target(self.now(), ROBOT)
            return [(m, await tx.channels.get(m.target.channel_id)) for m in messages]

    async def wait(self, channel: RobotChannel, pace: Pace) -> float:
        """Seconds before this robot may take one more message (0: now)."""
        now = self.now()
        longest = max((seconds for _count, seconds in pace.windows), default=0.0)
        async with self.db.read() as tx:
            sent = await tx.channels.sends_since(channel.id, now - timedelta(seconds=longest))
        wait = window_wait(pace.windows, sent, now)
        if channel.resume_at is not None:
            wait = max(wait, (channel.resume_at - now).total_seconds())
        if pace.avoid_half_hours:
            wait = max(wait, half_hour_wait(now, spread_offset(channel.id)))
        return max(wait, 0.0)

    async def reserve(self, channel: RobotChannel, timeout: float) -> int:
        """A part is about to go to this robot: it counts in the robot's windows before it
        leaves, as if it arrived at the latest moment it can (the request's timeout from
        now). Then a kill after the robot took it, before its delivery was recorded, cannot
        make the next run send one too many inside a window (a rejection, and DingTalk's
        ten minutes of silence); once the robot answers, the send counts from then
        (DeliveryService.delivered, or `unreserve` if the robot did not take it)."""
        latest = self.now() + timedelta(seconds=timeout)
        async with self.db.transaction() as tx:
            return await tx.channels.sent(channel.id, latest)

    async def unreserve(self, send_id: int) -> None:
        """The robot answered and did not take the part: it does not count."""
        async with self.db.transaction() as tx:
            await tx.channels.unsend(send_id)

    async def hold(self, msg: OutboxMessage, seconds: float) -> None:
        """Not this robot's turn yet: the message waits, no attempt counted."""
        await self.delivery.retry(msg, timedelta(seconds=seconds), "waiting for the robot's "
                                  "rate window", count_attempt=False)

    async def too_fast(self, msg: OutboxMessage, channel: RobotChannel,
                       silenced_seconds: float, detail: str) -> None:
        """The messenger said too fast: this robot alone waits (DingTalk silences a robot
        for ten minutes), its message with it."""
        pause = max(timedelta(seconds=silenced_seconds), RATE_BACKOFF)
        log.warning("robot %s is rate-limited (%s); waiting %s", channel.id, detail, pause)
        until = self.now() + pause
        async with self.db.transaction() as tx:
            await tx.channels.pause(channel.id, until)
            await tx.outbox.retry_later(msg.id, until, f"rate limited: {detail}",
                                        count_attempt=False)

    async def broken(self, msg: OutboxMessage, channel: RobotChannel, reason: str,
                     detail: str) -> None:
        """The robot's key or security check failed: mark it broken and tell the admins
        once (in private and in the 纪委's other robot groups). Its messages wait: nothing
        goes to a broken robot until `dutybot channel test` finds it mended, and then
        they go (a digest of an earlier day is folded into the next day's, as ever)."""
        now = self.now()
        log.error("robot %s refused its key or security check (%s): %s", channel.id, reason,
                  detail)
        async with self.db.transaction() as tx:
            await tx.outbox.retry_later(msg.id, now + BROKEN_RETRY, f"{reason}: {detail}",
                                        count_attempt=False)
            if channel.broken_since is not None:
                return  # told already
            await tx.channels.mark_broken(channel.name, reason, now)
            payload = {"name": channel.name, "reason": reason}
            key = f"notice:robot_broken:{channel.id}:{now.isoformat()}"
            people = await tx.persons.all()
            targets = [Target.telegram(c) for c in admin_chats(people, self.delivery.admin_ids)]
            targets += [Target.robot(c.id) for c in await tx.channels.all()
                        if c.unit_id is None and c.healthy and c.id != channel.id]
            for target in targets:
                await tx.outbox.add(dedup_key=f"{key}:{target}", target=target,
                                    person_id=None, kind="robot_broken_notice",
                                    day=now.date(), payload=payload, now=now)

    async def unreachable(self, channel: RobotChannel, people: list[tuple[int, str]]) -> None:
        """People a robot can only name, not @ (no 手机号, 企业微信账号 or 飞书ID it
        takes): the admins are told once per person."""
        now = self.now()
        async with self.db.transaction() as tx:
            admins = admin_chats(await tx.persons.all(), self.delivery.admin_ids)
            for person_id, name in people:
                for chat_id in admins:
                    queued = await tx.outbox.add(
                        dedup_key=f"notice:no_handle:{person_id}:{chat_id}",
                        target=Target.telegram(chat_id), person_id=None,
                        kind="no_handle_notice", day=now.date(),
                        payload={"who": name, "group": channel.name, "kind": channel.kind},
                        now=now)
                    if queued is not None:
                        log.info("robot %s cannot @ person %s: told admin %s", channel.id,
                                 person_id, chat_id)

    async def refused(self, msg: OutboxMessage, detail: str) -> None:
        """The messenger will never take this message as it is: set aside, logged."""
        await self.delivery.failed(msg, detail)

    async def gone(self, msg: OutboxMessage) -> None:
        """Its robot was removed (`dutybot channel remove`): nowhere to send it."""
        async with self.db.transaction() as tx:
            await tx.outbox.finish(msg.id, OutboxStatus.UNDELIVERABLE, "robot removed")

    async def prune(self) -> None:
        async with self.db.transaction() as tx:
            await tx.channels.prune_sends(self.now() - SEND_MEMORY)
