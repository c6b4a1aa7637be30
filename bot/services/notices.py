"""Messages a change sends at once (not in the next digest), through the same outbox:
written in the change's transaction, so they go out once and survive a restart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.model import Item, Person
from bot.domain.target import Target
from storage.db import Tx


async def notify(tx: Tx, people: list[Person], kind: str, key: str, payload: dict[str, Any],
                 now: datetime, extra_chats: frozenset[int] = frozenset()) -> int:
    """Queue one message of `kind` to each bound person (and to `extra_chats`, the
    configured admins' private chats); `key` makes it once-only."""
    targets = {p.telegram_user_id: p.id for p in people if p.telegram_user_id is not None}
    for chat_id in extra_chats:
        targets.setdefault(chat_id, None)
    sent = 0
    for chat_id, person_id in sorted(targets.items()):
        queued = await tx.outbox.add(
            dedup_key=f"{kind}:{key}:{chat_id}", target=Target.telegram(chat_id),
            person_id=person_id,
            kind=kind, day=now.date(), payload=payload, now=now)
        sent += queued is not None
    return sent


async def item_payload(tx: Tx, item: Item, **extra: Any) -> dict[str, Any]:
    """What a notice shows of an item: enough to render it without the database."""
    owner = await tx.persons.get(item.owner_id)
    units = await tx.units.all()
    unit = units.get(item.unit_id)
    return {"item": item.id, "code": item.code, "kind": item.kind.value, "title": item.title,
            "due": item.due_date.isoformat(), "status": item.status.value,
            "owner": owner.name if owner else "", "unit": unit.name if unit else "", **extra}
