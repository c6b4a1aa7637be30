"""What every service stands on: the database, the clock, and one way to write."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import TypeVar

from bot.clock import Clock
from bot.domain.model import Actor
from storage.db import Database, Tx

T = TypeVar("T")


class ServiceBase:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return self.clock.now().date()

    @asynccontextmanager
    async def change(self, actor: Actor) -> AsyncIterator[Tx]:
        """A write transaction that also records the Telegram update that caused it,
        so a replayed update (after a crash) is recognised and changes nothing twice."""
        async with self.db.transaction() as tx:
            if actor.update_id is not None:
                await tx.updates.claim(actor.update_id, self.now())
            yield tx

    async def change_at_once(self, actor: Actor, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """`change`, in one round trip to the database's thread (storage/at_once.py): `fn`
        may await nothing but tx's repositories."""
        now = self.now()

        async def write(tx: Tx) -> T:
            if actor.update_id is not None:
                await tx.updates.claim(actor.update_id, now)
            return await fn(tx)

        return await self.db.transaction_at_once(write)
