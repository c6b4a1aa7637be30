"""The clockwork of a running bot: a JobQueue tick that plans, and a task that sends.

Neither holds state of its own: the plan and the outbox live in the database, so a
restart picks up exactly where the last run stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from telegram.ext import Application, ContextTypes

from bot.scheduling.robot_sender import RobotSender
from bot.scheduling.sender import OutboxSender
from bot.services.registry import Services

log = logging.getLogger("dutybot.scheduler")

TICK_SECONDS = 30
IDLE_SECONDS = 5  # how often the sender looks for retries that came due
CLAIMING_SENDERS = 2  # PostgreSQL: messages sent at once by one process
STOP_GRACE_SECONDS = 10


class Scheduler:
    def __init__(self, app: Application | None, services: Services,
                 sender: OutboxSender | None, robots: RobotSender | None = None,
                 leading: Callable[[], bool] | None = None) -> None:
        """`app` and `sender` None: an office without Telegram (robots only); the tick
        then runs on its own timer instead of PTB's JobQueue. `leading`: whether this
        process leads now (bot/leader.py): only the leader plans, takes the backup and
        pushes to the robots; every process sends Telegram's messages (none: always)."""
        self.app = app
        self.leading = leading or (lambda: True)
        self.services = services
        self.sender = sender
        self.robots = robots
        self._wake = asyncio.Event()
        self._robots_wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._robots_task: asyncio.Task[None] | None = None
        self._ticks: asyncio.Task[None] | None = None
        self._backup: asyncio.Task[object] | None = None  # the daily backup, while it runs
        self._sent = 0  # messages sent (Telegram and robots) since the last tick's log line
        self._robots_sent = 0
        self._renewing: asyncio.Task[None] | None = None  # PostgreSQL: claims kept
        self._soon: asyncio.Task[None] | None = None  # a tick asked for out of turn

    def start(self) -> None:
        # APScheduler logs two lines at INFO for every tick ("Running job", "executed
        # successfully"): the tick's own line says what it did, and only when it did something
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        policy = self.services.backups.policy
        log.info("daily backups into %s at %s (keeping %d daily, %d weekly)", policy.folder,
                 policy.at.strftime("%H:%M"), policy.keep_daily, policy.keep_weekly)
        if self.app is not None:
            # coalesce + no misfire limit: a tick missed while busy or asleep runs once, late
            self.app.job_queue.run_repeating(
                self._tick, interval=TICK_SECONDS, first=1, name="dutybot-tick",
                job_kwargs={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            )
        else:
            self._ticks = asyncio.create_task(self._tick_forever(), name="dutybot-tick")
        if self.sender is not None:
            self._task = asyncio.create_task(self._send_forever(), name="dutybot-sender")
        if self.services.delivery.claiming:  # several processes: claims kept while sending
            self._renewing = asyncio.create_task(self._renew_forever(), name="dutybot-claims")
        if self.robots is not None:
            self._robots_task = asyncio.create_task(self._robots_forever(),
                                                    name="dutybot-robots")

    async def stop(self) -> None:
        """Let the message in flight finish, then stop."""
        self._stopping = True
        if self._soon is not None:
            self._soon.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._soon
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing
        self._wake.set()
        self._robots_wake.set()
        if self._ticks is not None:
            self._ticks.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticks
        await self.backup_done()  # a copy under way is finished (or its half removed)
        for task in (self._task, self._robots_task):
            if task is None:
                continue
            try:
                await asyncio.wait_for(task, STOP_GRACE_SECONDS)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def tick_soon(self) -> None:
        """A tick now, out of turn: a process that has just become the leader plans at once
        rather than at the next interval (what was planned before is not planned twice: a
        day's plan is kept by its keys, whichever tick makes it)."""
        if self._stopping or (self._soon is not None and not self._soon.done()):
            return
        self._soon = asyncio.create_task(self.tick(), name="dutybot-tick-soon")

    async def tick(self) -> None:
        if not self.leading():  # another process plans (several on one PostgreSQL)
            self._wake.set()
            return
        self._start_backup()
        try:
            planned = await self.services.tick()
            await self.services.webhook.note_tick()  # what GET /healthz reports
        except Exception:
            log.exception("planning tick failed; the next tick tries again")
            return
        self.log_tick(planned or 0)
        self._wake.set()
        self._robots_wake.set()

    def log_tick(self, planned: int) -> None:
        """One line for a tick that planned or sent something (what went out since the
        last tick's line), at the office's time; nothing for an idle tick."""
        sent, robots = self._sent, self._robots_sent
        if not (planned or sent or robots):
            return
        self._sent = self._robots_sent = 0
        now = self.services.clock.now()
        log.info("tick %s: planned %d reminders; sent %d Telegram messages and %d robot "
                 "messages since the last tick", now.strftime("%Y-%m-%d %H:%M %Z"), planned,
                 sent, robots)

    def _start_backup(self) -> None:
        """The daily backup, when due, beside the planning: it runs in a thread of its own
        (bot/services/backups.py), so neither the tick nor any chat waits for it."""
        if self._stopping or (self._backup is not None and not self._backup.done()):
            return
        self._backup = asyncio.create_task(self._backup_if_due(), name="dutybot-backup")

    async def _backup_if_due(self) -> object:
        try:
            return await self.services.backups.run_if_due()
        except Exception:
            log.exception("daily backup failed; the next tick tries again")
            return None

    async def backup_done(self) -> object:
        """Wait for the backup under way, if any; what it returned."""
        if self._backup is None:
            return None
        return await asyncio.shield(self._backup)

    async def _tick(self, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.tick()

    async def _tick_forever(self) -> None:
        """The tick without Telegram: once a second after start, then every TICK_SECONDS
        after the last one ended (one never overlaps the next)."""
        await asyncio.sleep(1)
        while not self._stopping:
            await self.tick()
            await asyncio.sleep(TICK_SECONDS)

    async def _send_forever(self) -> None:
        assert self.sender is not None
        while not self._stopping:
            # cleared before the drain, not after: a tick that plans while the drain runs
            # wakes the wait below at once (cleared after, its push would wait IDLE_SECONDS)
            self._wake.clear()
            try:
                await self._drain_until_stopped()
            except Exception:
                log.exception("sending failed; trying again shortly")
            wait = self.sender.pause_left() or IDLE_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _drain_until_stopped(self) -> None:
        """On PostgreSQL messages are claimed (one in flight per chat), so a few go out at
        once, to different chats: a send's round trips overlap the next one's."""
        if self.services.delivery.claiming:
            await asyncio.gather(*(self._drain_some() for _ in range(CLAIMING_SENDERS)))
        else:
            await self._drain_some()

    async def _drain_some(self) -> None:
        # a batch at a time, so a stop request is seen between messages
        assert self.sender is not None
        while not self._stopping:
            sent = await self.sender.drain(limit=20)
            self._sent += sent
            if not sent:
                break

    async def _renew_forever(self) -> None:
        """Every third of a lease, the messages in flight stay this process's (a send may
        wait in the rate limiter longer than a lease: a group's 20 a minute)."""
        every = self.services.delivery.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                await self.services.delivery.renew_claims()
            except Exception:
                log.exception("renewing the claims on messages in flight failed")

    async def _robots_forever(self) -> None:
        """The office group robots, each at its own pace, beside Telegram's sender."""
        assert self.robots is not None
        while not self._stopping:
            self._robots_wake.clear()  # before the drain, as the sender's (above)
            if not self.leading():  # the leader pushes to the robots, one at a time
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._robots_wake.wait(), IDLE_SECONDS)
                continue
            try:
                sent, wait = await self.robots.drain()
                self._robots_sent += sent
            except Exception:
                log.exception("sending to robots failed; trying again shortly")
                sent, wait = 0, IDLE_SECONDS
            if sent:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._robots_wake.wait(), max(wait, 0.05))
