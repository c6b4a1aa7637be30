"""The durable inbox's side of handling: storing what arrived, what waits, and marking an
update done together with the answers it gave (one transaction with its change)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.services.base import ServiceBase
from storage.inbox import Inbound
from storage.outbox import ANSWER_KIND, NewMessage

log = logging.getLogger("dutybot.inbox")

#: An answer is sent by the handler that gave it, right after the commit; the outbox's own
#: sender leaves it alone this long (a restart releases it at once).
ANSWER_HOLD = timedelta(minutes=10)
INBOX_MEMORY = timedelta(days=2)  # Telegram keeps an unconfirmed update for 24 hours
MAX_ATTEMPTS = 5  # an update whose handling keeps failing is given up after this many


class InboxService(ServiceBase):
    async def store(self, updates: Sequence[Inbound]) -> None:
        """Written before Telegram is told they arrived (the next poll's offset)."""
        if updates:
            async with self.db.transaction() as tx:
                await tx.inbox.add_many(updates, self.now())

    async def highest(self) -> int | None:
        async with self.db.read() as tx:
            return await tx.inbox.highest()

    async def waiting(self, after_id: int = 0, limit: int = 200) -> list[Inbound]:
        async with self.db.read() as tx:
            return await tx.inbox.waiting(after_id, limit)

    async def waiting_count(self) -> int:
        async with self.db.read() as tx:
            return await tx.inbox.waiting_count()

    async def finish(self, update_id: int, answers: Sequence[dict[str, Any]]) -> list[int]:
        """Mark the update done and queue its answers; returns their outbox ids. Inside the
        update's unit of work this joins its change: all of it commits, or none."""
        now = self.now()
        messages = [NewMessage(f"{ANSWER_KIND}:{update_id}:{n}", int(call["chat_id"]), None,
                               ANSWER_KIND, now.date(), call, not_before=now + ANSWER_HOLD)
                    for n, call in enumerate(answers)]
        async with self.db.transaction() as tx:
            if not await tx.inbox.done(update_id, now):
                return []  # handled before: its answers were queued then
            if not messages:
                return []
            ids = await tx.outbox.add_many(messages, now)
        return [ids[m.dedup_key] for m in messages if m.dedup_key in ids]

    async def failed(self, row: Inbound, error: BaseException) -> bool:
        """Its handling raised past the error handler (the database, say). True: try again;
        False: given up after MAX_ATTEMPTS (logged, marked done, so the rest go on)."""
        async with self.db.transaction() as tx:
            if row.attempts + 1 < MAX_ATTEMPTS:
                await tx.inbox.count_attempt([row.update_id])
                return True
            await tx.inbox.done(row.update_id, self.now())
        log.error("gave up on update %s after %s attempts: %r", row.update_id, MAX_ATTEMPTS,
                  error)
        return False

    async def prune(self) -> int:
        async with self.db.transaction() as tx:
            return await tx.inbox.prune(self.now() - INBOX_MEMORY)
