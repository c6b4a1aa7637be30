"""The office's group robots: one row per robot, keys and secrets stored as given."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from bot.domain.channels import SUPERVISION, RobotChannel
from storage.codec import to_datetime, to_text

_COLUMNS = ("id, name, kind, webhook, secret, keyword, unit_id, is_primary, created_at, "
            "broken_since, broken_reason, confidential, resume_at")


class ChannelRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, name: str, kind: str, webhook: str, secret: str | None,
                  keyword: str | None, unit_id: int | None, primary: bool,
                  now: datetime, confidential: bool | None = None) -> RobotChannel:
        cur = await self._conn.execute(
            "INSERT INTO channels (name, kind, webhook, secret, keyword, whose, unit_id, "
            "is_primary, created_at, confidential) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (name, kind, webhook, secret, keyword, SUPERVISION if unit_id is None else "unit",
             unit_id, int(primary), to_text(now),
             None if confidential is None else int(confidential)),
        )
        return RobotChannel(id=cur.lastrowid, name=name, kind=kind, webhook=webhook,
                            secret=secret, keyword=keyword, unit_id=unit_id, primary=primary,
                            created_at=now, confidential=confidential)

    async def all(self) -> list[RobotChannel]:
        """The supervising body's groups first, then each unit's, in the order added."""
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM channels ORDER BY unit_id IS NOT NULL, unit_id, id"
        ) as cur:
            return [_channel(r) for r in await cur.fetchall()]

    async def by_name(self, name: str) -> RobotChannel | None:
        return await self._one("name", name)

    async def by_webhook(self, webhook: str) -> RobotChannel | None:
        return await self._one("webhook", webhook)

    async def get(self, channel_id: int) -> RobotChannel | None:
        return await self._one("id", channel_id)

    async def pause(self, channel_id: int, until: datetime) -> None:
        """The messenger said "too fast": nothing more to this robot before `until`."""
        await self._conn.execute("UPDATE channels SET resume_at = ? WHERE id = ?",
                                 (to_text(until), channel_id))

    async def sent(self, channel_id: int, at: datetime) -> int:
        """One message the robot accepted, or may have: it counts in the robot's rate
        windows. Returns the send's row, for `resend_time` and `unsend`."""
        cur = await self._conn.execute(
            "INSERT INTO robot_sends (channel_id, sent_at) VALUES (?, ?)",
            (channel_id, to_text(at)))
        return cur.lastrowid

    async def resend_time(self, send_id: int, at: datetime) -> None:
        """The messenger answered: the send counts from then on."""
        await self._conn.execute("UPDATE robot_sends SET sent_at = ? WHERE rowid = ?",
                                 (to_text(at), send_id))

    async def unsend(self, send_id: int) -> None:
        """The messenger answered that it did not take the message: it does not count."""
        await self._conn.execute("DELETE FROM robot_sends WHERE rowid = ?", (send_id,))

    async def sends_since(self, channel_id: int, since: datetime) -> list[datetime]:
        async with self._conn.execute(
            "SELECT sent_at FROM robot_sends WHERE channel_id = ? AND sent_at > ? "
            "ORDER BY sent_at", (channel_id, to_text(since)),
        ) as cur:
            return [to_datetime(r[0]) for r in await cur.fetchall()]

    async def prune_sends(self, before: datetime) -> None:
        await self._conn.execute("DELETE FROM robot_sends WHERE sent_at <= ?",
                                 (to_text(before),))

    async def primary_of(self, unit_id: int) -> RobotChannel | None:
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM channels WHERE unit_id = ? AND is_primary = 1", (unit_id,)
        ) as cur:
            row = await cur.fetchone()
        return _channel(row) if row else None

    async def remove(self, name: str) -> bool:
        """Gone with its key: a removed robot's webhook is not kept anywhere."""
        cur = await self._conn.execute("DELETE FROM channels WHERE name = ?", (name,))
        return cur.rowcount == 1

    async def mark_broken(self, name: str, reason: str, now: datetime) -> None:
        """Since when it is broken stays the first time; the reason is the latest."""
        await self._conn.execute(
            "UPDATE channels SET broken_since = COALESCE(broken_since, ?), broken_reason = ? "
            "WHERE name = ?", (to_text(now), reason, name))

    async def clear_broken(self, channel_id: int) -> None:
        """It took a message: whatever was wrong was mended."""
        await self._conn.execute(
            "UPDATE channels SET broken_since = NULL, broken_reason = NULL WHERE id = ? "
            "AND broken_since IS NOT NULL", (channel_id,))

    async def _one(self, column: str, value: str | int) -> RobotChannel | None:
        # the column is one of ours, never input
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM channels WHERE {column} = ?", (value,)
        ) as cur:
            row = await cur.fetchone()
        return _channel(row) if row else None


def _channel(row: sqlite3.Row) -> RobotChannel:
    return RobotChannel(
        id=row["id"], name=row["name"], kind=row["kind"], webhook=row["webhook"],
        secret=row["secret"], keyword=row["keyword"], unit_id=row["unit_id"],
        primary=bool(row["is_primary"]), created_at=to_datetime(row["created_at"]),
        broken_since=to_datetime(row["broken_since"]), broken_reason=row["broken_reason"],
        confidential=None if row["confidential"] is None else bool(row["confidential"]),
        resume_at=to_datetime(row["resume_at"]),
    )
