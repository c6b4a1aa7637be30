"""The durable inbox's side of handling: storing what arrived, what waits, and marking an
update done together with the answers it gave (one transaction with its change)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.domain.target import Target
from bot.services.base import ServiceBase
from storage.codec import to_text
from storage.db import Tx
from storage.inbox import Inbound, InboxStore
from storage.outbox import ANSWER_KIND, OutboxMessage, OutboxStatus
from storage.workers import worker_name

log = logging.getLogger("dutybot.inbox")

#: An update's answers are sent by its handler right after the commit; the outbox's own
#: sender leaves them alone this long (a restart, or a failure to send them, releases them
#: at once). Longer than the slowest send: a group's 20 a minute.
ANSWER_HOLD = timedelta(minutes=2)
INBOX_MEMORY = timedelta(days=2)  # Telegram keeps an unconfirmed update for 24 hours
MAX_ATTEMPTS = 5  # an update whose handling keeps failing is given up after this many
BATCH = 200
CLAIM_LEASE = timedelta(seconds=30)  # DUTYBOT_WORKER_LEASE


class InboxService(ServiceBase):
    #: several processes (PostgreSQL): who claims, and for how long a claim holds unless
    #: renewed (a process killed while handling an update loses it after this)
    worker = worker_name()
    lease = CLAIM_LEASE

    async def store(self, updates: Sequence[Inbound]) -> None:
        """Written before Telegram is told they arrived (the next poll's offset). The inbox
        is a file of its own: this never waits for a write in the database."""
        if updates:
            await (await self.db.inbox()).add_many(updates, self.now())

    async def last_received(self) -> int | None:
        return await (await self.db.inbox()).last_received()

    async def waiting(self, after_seq: int = 0, limit: int = BATCH) -> list[Inbound]:
        """The next updates not handled yet, in the order they arrived. Those the database
        says were handled (a kill came before their flag here was set) are flagged now and
        left out."""
        box = await self.db.inbox()
        while True:
            rows = await box.waiting(after_seq, limit)
            if not rows:
                return []
            left = await self._not_handled(box, rows)
            if left or len(rows) < limit:
                return left
            after_seq = rows[-1].seq

    # -- several processes on one PostgreSQL (issue 23 §3): updates claimed, not read --

    @property
    def claiming(self) -> bool:
        """Whether updates are claimed (PostgreSQL: any number of processes may serve the
        inbox) rather than read (SQLite: one process)."""
        return self.db.engine == "postgresql"

    async def claim(self, limit: int = BATCH) -> list[Inbound]:
        """The next updates this process may handle (see InboxStore.claim); those the
        database says were handled (a kill came before their flag was set) are flagged
        now and left out."""
        box = await self.db.inbox()
        while True:
            rows = await box.claim(self.worker, limit, self.lease.total_seconds())
            if not rows:
                return []
            left = await self._not_handled(box, rows)
            if left:  # all of them handled before: claim the next ones
                return left

    async def _not_handled(self, box: InboxStore, rows: list[Inbound]) -> list[Inbound]:
        """`rows` but those the database says were handled (a kill came before their flag
        in the inbox was set): those are flagged now."""
        async with self.db.read() as tx:
            handled = await tx.updates.seen_among([r.update_id for r in rows])
        if handled:
            await box.mark_done(handled)
        return [r for r in rows if r.update_id not in handled]

    async def renew(self) -> None:
        await (await self.db.inbox()).renew(self.worker, self.lease.total_seconds())

    async def release(self) -> None:
        with contextlib.suppress(Exception):  # best effort: a lease runs out by itself
            await (await self.db.inbox()).release(self.worker)

    async def waiting_count(self) -> int:
        return len(await self.waiting(limit=10_000))

    async def finish(self, update_id: int,
                     answers: Sequence[dict[str, Any]]) -> OutboxMessage | None:
        """Mark the update handled and queue its answers, in order, as one outbox message
        (sent part by part: one lost part never lets a later one overtake it); returns it,
        as stored, for the handler to send at once without reading it back. Inside the
        update's unit of work this joins its change: all of it commits, or none."""
        now = self.now()
        claiming = self.claiming

        async def write(tx: Tx) -> OutboxMessage | None:  # one round trip: storage/at_once.py
            await tx.updates.claim(update_id, now)
            if not answers:
                return None
            # ids come round again (random after a quiet week): the time keeps the key apart
            key = f"{ANSWER_KIND}:{update_id}:{to_text(now)}"
            target = Target.telegram(int(answers[0]["chat_id"]))
            payload = {"calls": list(answers)}
            message_id = await tx.outbox.add(
                dedup_key=key, target=target, person_id=None, kind=ANSWER_KIND,
                day=now.date(), payload=payload, now=now,
                not_before=None if claiming else now + ANSWER_HOLD)
            if message_id is None:  # queued before (the same key): the outbox has it
                return None
            if claiming:
                # several processes: held by a claim instead, which runs out if this one
                # is killed before it sends them (then any process sends them)
                await tx.outbox.claim_ids([message_id], now, now + self.lease, self.worker)
            return OutboxMessage(message_id, key, target, None, ANSWER_KIND, now.date(),
                                 payload, OutboxStatus.PENDING, 0, 0)

        return await self.db.transaction_at_once(write)

    async def done(self, update_id: int) -> None:
        """After the commit: keeps the next look into the inbox short. Best effort: the
        database has the last word, so a failure here is only logged."""
        try:
            await (await self.db.inbox()).mark_done([update_id])
        except Exception:
            log.exception("could not flag update %s done in the inbox", update_id)

    async def failed(self, row: Inbound, error: BaseException) -> bool:
        """Its handling raised past the error handler (the database, say). True: try again;
        False: given up after MAX_ATTEMPTS (logged, marked handled, so the rest go on)."""
        box = await self.db.inbox()
        if row.attempts + 1 < MAX_ATTEMPTS:
            await box.count_attempt(row.update_id)
            return True
        async with self.db.transaction() as tx:
            await tx.updates.claim(row.update_id, self.now())
        await box.mark_done([row.update_id])
        log.error("gave up on update %s after %s attempts: %r", row.update_id, MAX_ATTEMPTS,
                  error)
        return False

    async def prune(self) -> int:
        """Handled updates older than INBOX_MEMORY go; one not handled stays, however old."""
        box = await self.db.inbox()
        before = self.now() - INBOX_MEMORY
        candidates = await box.old_waiting(before)
        handled: set[int] = set()
        if candidates:
            async with self.db.read() as tx:
                handled = await tx.updates.seen_among(candidates)
        return await box.prune(before, handled)
