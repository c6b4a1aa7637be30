"""The outbox's side of sending: what is next, and what became of each attempt.

The sender (bot/scheduling/sender.py) talks to Telegram; this records the outcome in the
same transaction as its consequences (the reminders' `reminder_sent` events, a person
marked undeliverable and the admins told once)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.clock import Clock
from bot.domain.model import Role
from bot.domain.planner import Recipient
from bot.domain.policy import ReminderPolicy
from bot.domain.target import ROBOT, Target
from bot.services.base import ServiceBase
from bot.services.reminders import SYSTEM, admin_chats
from storage.db import Database, Tx
from storage.outbox import OutboxMessage, OutboxStatus
from storage.workers import worker_name

log = logging.getLogger("dutybot.delivery")

MAX_ATTEMPTS = 12  # network errors only; with the back-off below, about a day of trying
CLAIM_LEASE = timedelta(seconds=30)  # DUTYBOT_WORKER_LEASE


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … up to 4 h between tries after a network error."""
    return timedelta(seconds=min(30 * 2 ** attempts, 4 * 3600))


class DeliveryService(ServiceBase):
    #: several processes (PostgreSQL): who claims a message, and for how long (a process
    #: killed mid-send loses its claim after this, and another sends the message again)
    worker = worker_name()
    lease = CLAIM_LEASE

    def __init__(self, db: Database, clock: Clock, admin_ids: frozenset[int],
                 policy: Callable[[], Awaitable[ReminderPolicy]]) -> None:
        super().__init__(db, clock)
        self.admin_ids = admin_ids
        self._policy = policy

    async def quiet(self) -> bool:
        """Nothing leaves the outbox in quiet hours."""
        return (await self._policy()).is_quiet(self.now().time())

    @property
    def claiming(self) -> bool:
        """Whether messages are claimed before they are sent (PostgreSQL: several processes
        may drain one outbox) or only read (SQLite: one process)."""
        return self.db.engine == "postgresql"

    async def next_ready(self, after_id: int = 0,
                         answers_only: bool = False) -> OutboxMessage | None:
        now = self.now()
        if self.claiming:
            async with self.db.transaction() as tx:
                return await tx.outbox.claim_next(now, now + self.lease, self.worker, after_id,
                                                  answers_only)
        async with self.db.read() as tx:
            return await tx.outbox.next_ready(now, after_id, answers_only)

    async def renew_claims(self) -> None:
        """(PostgreSQL) The messages this process is sending stay its own for another
        lease: renewed every third of one while the process lives (bot/scheduling)."""
        now = self.now()
        async with self.db.transaction() as tx:
            await tx.outbox.renew_claims(self.worker, now, now + self.lease)

    async def release_answers(self, ids: list[int] | None = None) -> int:
        """Answers held for their handler go now: at start-up all (their handler was
        killed), else those named (their handler could not send them)."""
        async with self.db.transaction() as tx:
            return await tx.outbox.release_answers(self.now(), ids)

    async def pending(self) -> int:
        async with self.db.read() as tx:
            return await tx.outbox.pending_count()

    async def delivered(self, msg: OutboxMessage, parts_sent: int, last: bool,
                        telegram_message_id: int | None, robot_send: int | None = None
                        ) -> None:
        """`robot_send`: the send a robot's part was counted as before it went
        (RobotOutbox.reserve); it now counts from the moment the robot answered."""
        now = self.now()
        robot = msg.target.channel == ROBOT

        async def write(tx: Tx) -> None:  # one round trip: storage/at_once.py
            await tx.outbox.part_sent(msg.id, parts_sent, last, now, telegram_message_id)
            if robot and robot_send is not None:
                await tx.channels.resend_time(robot_send, now)
            elif robot:  # every part counts in the robot's rate windows
                await tx.channels.sent(msg.target.channel_id, now)
            if not last:
                return
            await tx.events.record_many(SYSTEM, now, [
                ("reminder_sent", "item", r.item_id, {"stage": r.stage, "recipient": r.recipient})
                for r in await tx.reminders.in_message(msg.id)])
            # a robot group is push-only: nobody can answer there, so nobody is counted
            # as not answering
            await tx.reminders.mark_sent(msg.id, now.date(), push_only=robot)
            if robot:
                await tx.channels.clear_broken(msg.target.channel_id)
            elif msg.person_id is not None:
                await tx.persons.clear_undeliverable(msg.person_id)
            elif msg.chat_id < 0:
                await tx.groups.clear_undeliverable(msg.chat_id)

        await self.db.transaction_at_once(write)

    async def retry(self, msg: OutboxMessage, delay: timedelta, error: str,
                    count_attempt: bool = True) -> None:
        async with self.db.transaction() as tx:
            if count_attempt and msg.attempts + 1 >= MAX_ATTEMPTS:
                log.error("giving up on outbox message %s after %s attempts: %s",
                          msg.id, msg.attempts + 1, error)
                await tx.outbox.finish(msg.id, OutboxStatus.FAILED, error)
                return
            await tx.outbox.retry_later(msg.id, self.now() + delay, error, count_attempt)

    async def failed(self, msg: OutboxMessage, error: str) -> None:
        log.error("Telegram refused outbox message %s (%s): %s", msg.id, msg.kind, error)
        async with self.db.transaction() as tx:
            await tx.outbox.finish(msg.id, OutboxStatus.FAILED, error)

    async def skipped(self, msg: OutboxMessage) -> None:
        """Nothing to send after all (a chart without a CJK font to draw it): done."""
        async with self.db.transaction() as tx:
            await tx.outbox.finish(msg.id, OutboxStatus.SKIPPED, "nothing to send")

    async def undeliverable(self, msg: OutboxMessage, error: str) -> None:
        """The user blocked the bot or never opened it, or the bot left the group: mark it,
        tell the admins once, and go on with the others."""
        now = self.now()
        async with self.db.transaction() as tx:
            await tx.outbox.finish(msg.id, OutboxStatus.UNDELIVERABLE, error)
            people = await tx.persons.all()
            if msg.person_id is not None:
                since = await tx.persons.mark_undeliverable(msg.person_id, now)
                person = people.get(msg.person_id)
                if person is None:
                    return
                units = await tx.units.all()
                subject = Recipient.person(person.id).key
                payload = {"who": person.name, "unit": units[person.unit_id].name,
                           "group": False}
            else:
                since = await tx.groups.mark_undeliverable(msg.chat_id, now)
                group = await tx.groups.get(msg.chat_id)
                if since is None or group is None:
                    return
                subject = Recipient.group(group.chat_id).key
                payload = {"who": group.title, "unit": "", "group": True}
            for chat_id in admin_chats(people, self.admin_ids):
                if chat_id == msg.chat_id:
                    continue
                await tx.outbox.add(
                    dedup_key=f"notice:undeliverable:{subject}:{since}:{chat_id}",
                    target=Target.telegram(chat_id), person_id=_person_of(people, chat_id),
                    kind="undeliverable_notice", day=now.date(), payload=payload, now=now)

    async def chat_moved(self, msg: OutboxMessage, new_chat_id: int) -> None:
        """A group upgraded to a supergroup: store its new id and send there."""
        async with self.db.transaction() as tx:
            await tx.groups.move(msg.chat_id, new_chat_id)
            await tx.outbox.move_chat(msg.chat_id, new_chat_id)
            await tx.events.record(SYSTEM, self.now(), "group_moved", "group", new_chat_id,
                                   old_chat_id=msg.chat_id)


def _person_of(people: dict, chat_id: int) -> int | None:
    for person in people.values():
        if person.telegram_user_id == chat_id and Role.ADMIN in person.roles:
            return person.id
    return None
