"""Serving the inbox: each lane (one chat) in order, different lanes at once.

One person's slow command (a workbook being read, the 台账 being written) holds up only
their own chat; everybody else is answered meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.services.inbox import InboxService
from storage.inbox import Inbound

log = logging.getLogger("dutybot.inbound")

MAX_AT_ONCE = 8  # updates handled at the same time, across lanes
IDLE_SECONDS = 1.0  # how often the inbox is looked at without being woken
RETRY_SECONDS = 1.0  # after a failed handling, times the attempt number

Handle = Callable[[Inbound], Awaitable[None]]


class Dispatcher:
    def __init__(self, inbox: InboxService, handle: Handle,
                 max_at_once: int = MAX_AT_ONCE) -> None:
        self.inbox = inbox
        self.handle = handle
        self._slots = asyncio.Semaphore(max_at_once)
        self._lanes: dict[str, deque[Inbound]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._seen = 0  # the last inbox row (`seq`, in order of arrival) handed to a lane
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._renewed = 0.0  # when the claims in hand were last renewed (PostgreSQL)
        self._claiming = getattr(inbox, "claiming", False)  # rows claimed, not read

    def wake(self) -> None:
        """Something new is in the inbox."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="dutybot-inbox")

    async def stop(self, grace: float) -> None:
        """Take nothing new; let the updates in hand finish (those still queued stay in
        the inbox for the next start)."""
        self._stopping = True
        self._wake.set()
        for lane in self._lanes.values():
            lane.clear()
        if self._task is not None:
            await self._task
        workers = list(self._workers.values())
        if workers:
            _done, late = await asyncio.wait(workers, timeout=grace)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._claiming:  # what was claimed and not handled: another process's now
            await self.inbox.release()

    async def idle(self) -> None:
        """Return once everything stored so far is handled (tests and the demo)."""
        await self.fetch()
        while self._workers:
            await asyncio.gather(*list(self._workers.values()))
            await self.fetch()

    async def fetch(self) -> int:
        """Hand what waits in the inbox to the lanes; returns how many. On PostgreSQL the
        rows are claimed, one lane's earliest at a time, so that any number of processes
        serve one inbox and a chat's updates still go in order (storage/inbox.py)."""
        if self._claiming:
            await self._renew()
            rows = await self.inbox.claim()
        else:
            rows = await self.inbox.waiting(self._seen)
        for row in rows:
            self._seen = row.seq
            self._lanes.setdefault(row.lane, deque()).append(row)
            if row.lane not in self._workers:
                self._workers[row.lane] = asyncio.create_task(self._serve(row.lane),
                                                              name=f"dutybot-lane-{row.lane}")
        return len(rows)

    async def _renew(self) -> None:
        """The claims on the updates in hand run on (a third of a lease at the latest)."""
        now = time.monotonic()
        if self._workers and now - self._renewed >= self.inbox.lease.total_seconds() / 3:
            await self.inbox.renew()
            self._renewed = now

    async def _run(self) -> None:
        while not self._stopping:
            # cleared before the fetch, not after: an update stored while the fetch reads
            # wakes the wait below at once (cleared after, it would wait IDLE_SECONDS)
            self._wake.clear()
            try:
                while await self.fetch() and not self._stopping:
                    pass
            except Exception:
                log.exception("reading the inbox failed; trying again shortly")
                if not self._stopping:  # a failed read is tried again after a pause
                    self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_SECONDS)

    async def _serve(self, lane: str) -> None:
        queue = self._lanes[lane]
        try:
            while queue:
                row = queue[0]
                async with self._slots:
                    done = await self._handle(row)
                if not queue:  # a stop emptied the lane meanwhile
                    break
                if done:
                    queue.popleft()
                    if self._claiming:  # the lane's next update may be claimed now
                        self._wake.set()
                elif not self._stopping:
                    await asyncio.sleep(RETRY_SECONDS * (row.attempts + 1))
                    if queue:
                        queue[0] = replace(row, attempts=row.attempts + 1)
        finally:
            del self._workers[lane]
            if not queue:
                del self._lanes[lane]

    async def _handle(self, row: Inbound) -> bool:
        """True once the update is done with (handled, or given up)."""
        try:
            await self.handle(row)
            return True
        except Exception as exc:
            log.exception("handling update %s failed", row.update_id)
            try:
                return not await self.inbox.failed(row, exc)
            except Exception:
                log.exception("could not record the failure of update %s", row.update_id)
                return False
