"""Registered group chats, guided conversations in progress, processed updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.model import Group, GroupKind
from storage.codec import from_json, to_datetime, to_json, to_text


class GroupRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def upsert(self, group: Group, now: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO groups (chat_id, kind, title, unit_id, registered_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET "
            "kind = excluded.kind, title = excluded.title, unit_id = excluded.unit_id, "
            "undeliverable_since = NULL",
            (group.chat_id, group.kind.value, group.title, group.unit_id, to_text(now)),
        )

    async def get(self, chat_id: int) -> Group | None:
        async with self._conn.execute(
            "SELECT chat_id, kind, title, unit_id FROM groups WHERE chat_id = ?", (chat_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return Group(chat_id=row["chat_id"], kind=GroupKind(row["kind"]), title=row["title"],
                     unit_id=row["unit_id"])


    async def discipline_chats(self) -> tuple[int, ...]:
        async with self._conn.execute(
            "SELECT chat_id FROM groups WHERE kind = ? AND undeliverable_since IS NULL "
            "ORDER BY registered_at, chat_id",
            (GroupKind.DISCIPLINE.value,),
        ) as cur:
            return tuple(r[0] for r in await cur.fetchall())

    async def mark_undeliverable(self, chat_id: int, now: datetime) -> str | None:
        """The bot was removed from the group; since when (None if not registered)."""
        async with self._conn.execute(
            "UPDATE groups SET undeliverable_since = COALESCE(undeliverable_since, ?) "
            "WHERE chat_id = ? RETURNING undeliverable_since",
            (to_text(now), chat_id),
        ) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def clear_undeliverable(self, chat_id: int) -> None:
        await self._conn.execute(
            "UPDATE groups SET undeliverable_since = NULL WHERE chat_id = ? "
            "AND undeliverable_since IS NOT NULL",
            (chat_id,),
        )

    async def move(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group upgraded to a supergroup has a new id. If an admin already registered
        the new id, that registration stands and the old id is forgotten."""
        async with self._conn.execute(
            "SELECT 1 FROM groups WHERE chat_id = ?", (new_chat_id,)
        ) as cur:
            taken = await cur.fetchone() is not None
        if taken:
            await self._conn.execute("DELETE FROM groups WHERE chat_id = ?", (old_chat_id,))
        else:
            await self._conn.execute(
                "UPDATE groups SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
            )


class ConversationRepo:
    """One guided flow per (chat, user), stored as JSON so it survives a restart."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def get(self, chat_id: int, user_id: int) -> tuple[dict[str, Any], datetime] | None:
        async with self._conn.execute(
            "SELECT state, updated_at FROM conversations WHERE chat_id = ? AND user_id = ?",
            (chat_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return from_json(row["state"]), to_datetime(row["updated_at"])

    async def put(self, chat_id: int, user_id: int, state: dict[str, Any], now: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO conversations (chat_id, user_id, state, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (chat_id, user_id) DO UPDATE SET "
            "state = excluded.state, updated_at = excluded.updated_at",
            (chat_id, user_id, to_json(state, keep_order=True), to_text(now)),
        )

    async def delete(self, chat_id: int, user_id: int) -> None:
        await self._conn.execute(
            "DELETE FROM conversations WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
        )


class UpdateRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def seen(self, update_id: int) -> bool:
        async with self._conn.execute(
            "SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,)
        ) as cur:
            return await cur.fetchone() is not None

    async def seen_among(self, update_ids: list[int]) -> set[int]:
        """Those of these updates that were handled (made their change, or were done)."""
        marks = ",".join("?" * len(update_ids))
        async with self._conn.execute(
            f"SELECT update_id FROM processed_updates WHERE update_id IN ({marks})", update_ids
        ) as cur:
            return {r[0] for r in await cur.fetchall()}

    async def prune(self, before: datetime) -> int:
        """Forget updates older than Telegram would ever hand out again."""
        cur = await self._conn.execute(
            "DELETE FROM processed_updates WHERE processed_at < ?", (to_text(before),)
        )
        return cur.rowcount

    async def claim(self, update_id: int, now: datetime) -> bool:
        """Record that this update made its change; False if it already had."""
        cur = await self._conn.execute(
            "INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES (?, ?)",
            (update_id, to_text(now)),
        )
        return cur.rowcount == 1
