"""The clockwork of a running bot: a JobQueue tick that plans, and a task that sends.

Neither holds state of its own: the plan and the outbox live in the database, so a
restart picks up exactly where the last run stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram.ext import Application, ContextTypes

from bot.scheduling.sender import OutboxSender
from bot.services.registry import Services

log = logging.getLogger("dutybot.scheduler")

TICK_SECONDS = 30
IDLE_SECONDS = 5  # how often the sender looks for retries that came due
STOP_GRACE_SECONDS = 10


class Scheduler:
    def __init__(self, app: Application, services: Services, sender: OutboxSender) -> None:
        self.app = app
        self.services = services
        self.sender = sender
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        # coalesce + no misfire limit: a tick missed while busy or asleep runs once, late
        self.app.job_queue.run_repeating(
            self._tick, interval=TICK_SECONDS, first=1, name="dutybot-tick",
            job_kwargs={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )
        self._task = asyncio.create_task(self._send_forever(), name="dutybot-sender")

    async def stop(self) -> None:
        """Let the message in flight finish, then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, STOP_GRACE_SECONDS)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task

    async def tick(self) -> None:
        try:
            planned = await self.services.tick()
        except Exception:
            log.exception("planning tick failed; the next tick tries again")
            return
        if planned:
            log.info("planned %s reminders", planned)
        self._wake.set()

    async def _tick(self, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.tick()

    async def _send_forever(self) -> None:
        while not self._stopping:
            try:
                await self._drain_until_stopped()
            except Exception:
                log.exception("sending failed; trying again shortly")
            wait = self.sender.pause_left() or IDLE_SECONDS
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _drain_until_stopped(self) -> None:
        # a batch at a time, so a stop request is seen between messages
        while not self._stopping and await self.sender.drain(limit=20):
            pass
