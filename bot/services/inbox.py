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
BATCH = 200


class InboxService(ServiceBase):
    async def store(self, updates: Sequence[Inbound]) -> None:
        """Written before Telegram is told they arrived (the next poll's offset). The inbox
        is a file of its own: this never waits for a write in the database."""
        if updates:
            await (await self.db.inbox()).add_many(updates, self.now())

    async def highest(self) -> int | None:
        return await (await self.db.inbox()).highest()

    async def waiting(self, after_id: int = 0, limit: int = BATCH) -> list[Inbound]:
        """The next updates not handled yet, oldest first. Those the database says were
        handled (a kill came before their flag here was set) are flagged now and left out."""
        box = await self.db.inbox()
        while True:
            rows = await box.waiting(after_id, limit)
            if not rows:
                return []
            async with self.db.read() as tx:
                handled = await tx.updates.seen_among([r.update_id for r in rows])
            if handled:
                await box.mark_done(handled)
            left = [r for r in rows if r.update_id not in handled]
            if left or len(rows) < limit:
                return left
            after_id = rows[-1].update_id

    async def waiting_count(self) -> int:
        return len(await self.waiting(limit=10_000))

    async def finish(self, update_id: int, answers: Sequence[dict[str, Any]]) -> list[int]:
        """Mark the update handled and queue its answers; returns their outbox ids. Inside
        the update's unit of work this joins its change: all of it commits, or none."""
        now = self.now()
        messages = [NewMessage(f"{ANSWER_KIND}:{update_id}:{n}", int(call["chat_id"]), None,
                               ANSWER_KIND, now.date(), call, not_before=now + ANSWER_HOLD)
                    for n, call in enumerate(answers)]
        async with self.db.transaction() as tx:
            await tx.updates.claim(update_id, now)
            if not messages:
                return []
            ids = await tx.outbox.add_many(messages, now)
        return [ids[m.dedup_key] for m in messages if m.dedup_key in ids]

    async def done(self, update_id: int) -> None:
        """After the commit: keeps the next look into the inbox short (best effort; the
        database has the last word)."""
        await (await self.db.inbox()).mark_done([update_id])

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
        return await (await self.db.inbox()).prune(self.now() - INBOX_MEMORY)
