"""Webhook mode's side of the database: the secret token Telegram sends back with every
update, and what `GET /healthz` reports (issue 23)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from bot.services.base import ServiceBase
from storage.codec import to_datetime, to_text

log = logging.getLogger("dutybot.webhook")

SECRET_KEY = "webhook_secret"
TICK_KEY = "planner_tick"


@dataclass(frozen=True, slots=True)
class Health:
    database: bool  # reachable: a read and its answer
    last_tick: datetime | None  # the planner's last tick that went through
    outbox_backlog: int | None  # messages waiting to be sent (None: the database is down)

    def to_json(self) -> dict[str, object]:
        return {"ok": self.database, "database": "ok" if self.database else "unreachable",
                "last_tick": to_text(self.last_tick) if self.last_tick else None,
                "outbox_backlog": self.outbox_backlog}


class WebhookService(ServiceBase):
    async def secret(self, configured: str | None = None) -> str:
        """The secret token: the configured one, else the one made by the first webhook run
        and kept in the database — never one per process (each setWebhook replaces the
        last, so a second secret would have the other processes refuse every update)."""
        if configured:
            return configured
        async with self.db.transaction() as tx:
            # 64 characters of A–Z a–z 0–9 _ -: what setWebhook accepts (1–256 of those)
            return await tx.state.put_first(SECRET_KEY, secrets.token_urlsafe(48), self.now())

    async def note_tick(self) -> None:
        async with self.db.transaction() as tx:
            await tx.state.put(TICK_KEY, to_text(self.now()), self.now())

    async def health(self) -> Health:
        try:
            async with self.db.read() as tx:
                tick = await tx.state.get(TICK_KEY)
                backlog = await tx.outbox.pending_count()
        except Exception as exc:
            log.warning("healthz: the database is not reachable (%s)", type(exc).__name__)
            return Health(False, None, None)
        return Health(True, to_datetime(tick), backlog)
