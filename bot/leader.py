"""Which `dutybot run` leads: plans reminders, polls getUpdates or sets the webhook, takes
the daily backup and pushes to the office's group robots.

On SQLite there is one process (bot/runlock.py) and it always leads. On PostgreSQL any
number of processes run; the leader is the one holding an advisory lock on a connection
of its own (storage/workers.py). The others try again about every second, so a leader
killed is replaced within seconds; a leader that loses its connection stops leading at
once (stops polling and planning) and tries again like the others. Every process, leader
or not, handles stored updates and drains the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from storage.workers import Leadership

log = logging.getLogger("dutybot.leader")

CHECK_SECONDS = 1.0
CHECK_TIMEOUT = 5.0  # a check not answered by then: leadership given up

Change = Callable[[], Awaitable[None]]


class Leader:
    """`leading` now; `on_gain` runs when this process becomes the leader, `on_lose`
    when it stops being it (never both at once, never twice in a row)."""

    def __init__(self, lock: Leadership | None, on_gain: Change, on_lose: Change,
                 every: float = CHECK_SECONDS) -> None:
        self.lock = lock
        self.on_gain = on_gain
        self.on_lose = on_lose
        self.every = every
        self.leading = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """The first check now (a single process leads from its first second on), then
        one every `every` seconds."""
        if self.lock is None:  # SQLite: the only process
            await self._became(True)
            return
        await self.lock.open()
        await self._became(await self.lock.check())
        if not self.leading:
            log.info("another process leads: this one handles updates and sends")
        self._task = asyncio.create_task(self._watch(), name="dutybot-leader")

    async def _watch(self) -> None:
        assert self.lock is not None
        while True:
            await asyncio.sleep(self.every)
            try:
                try:  # a server gone silent must not keep a leader leading
                    leading = await asyncio.wait_for(self.lock.check(), CHECK_TIMEOUT)
                except TimeoutError:
                    log.warning("the leader's database connection does not answer")
                    await self.lock.close()  # the next check connects again
                    leading = False
                await self._became(leading)
            except Exception:
                log.exception("changing leadership failed; trying again")

    async def _became(self, leading: bool) -> None:
        if leading == self.leading:
            return
        self.leading = leading
        if leading:
            log.info("this process leads: it plans reminders, takes the daily backup and "
                     "receives the updates from Telegram")
            try:
                await self.on_gain()
            except BaseException:
                self.leading = False  # the next check tries again
                raise
        else:
            log.warning("this process no longer leads")
            await self.on_lose()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.leading:
            self.leading = False
            with contextlib.suppress(Exception):
                await self.on_lose()
        if self.lock is not None:
            await self.lock.close()
