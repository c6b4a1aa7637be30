"""The outbox: messages waiting to be sent, and what became of each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import aiosqlite

from bot.domain.target import TELEGRAM, Target
from storage.codec import from_json, to_date, to_json, to_text


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # Telegram refused it for good (logged)
    UNDELIVERABLE = "undeliverable"  # the user blocked the bot, the bot left the group
    SUPERSEDED = "superseded"  # a digest never sent, folded into a later day's digest
    SKIPPED = "skipped"  # nothing to send after all (a chart with no CJK font to draw it)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    dedup_key: str
    target: Target
    person_id: int | None
    kind: str
    day: date
    payload: dict[str, Any]
    status: OutboxStatus
    parts_sent: int
    attempts: int

    @property
    def chat_id(self) -> int:
        """The Telegram chat it goes to (a Telegram message's only)."""
        return self.target.chat_id


@dataclass(frozen=True, slots=True)
class NewMessage:
    dedup_key: str
    target: Target
    person_id: int | None
    kind: str
    day: date
    payload: dict[str, Any]
    not_before: datetime | None = None  # held back until then (an answer its handler sends)


#: A unit's day of reminders in its primary robot group: a section per person.
ROBOT_DIGEST = "robot_digest"
#: Messages that belong to one day: a person's digest, a group's overdue notice, a unit's.
DIGEST_KINDS = ("digest", "group_digest", ROBOT_DIGEST)
#: The bot's answer to an update (a reply, an edit, a toast): a Bot API call as JSON. It
#: goes out in quiet hours too — somebody just asked.
ANSWER_KIND = "answer"
_DIGEST_MARKS = ",".join("?" * len(DIGEST_KINDS))

_COLUMNS = ("id, dedup_key, channel, address, person_id, kind, day, payload, status, "
            "parts_sent, attempts")


class OutboxRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, *, dedup_key: str, target: Target, person_id: int | None, kind: str,
                  day: date, payload: dict[str, Any], now: datetime,
                  not_before: datetime | None = None) -> int | None:
        """Queue a message; None if one with that key was queued before (sent or not)."""
        message = NewMessage(dedup_key, target, person_id, kind, day, payload, not_before)
        cur = await self._conn.execute(_INSERT, _row(message, now))
        return cur.lastrowid if cur.rowcount == 1 else None

    async def add_many(self, messages: Iterable[NewMessage], now: datetime) -> dict[str, int]:
        """Queue many messages in one statement; returns the id of each one queued, by
        dedup key (a key queued before, sent or not, is left out). Within the caller's
        transaction nothing else writes, so the new rows are those past the highest id."""
        async with self._conn.execute("SELECT COALESCE(MAX(id), 0) FROM outbox") as cur:
            (highest,) = await cur.fetchone()
        await self._conn.executemany(_INSERT, [_row(m, now) for m in messages])
        async with self._conn.execute(
            "SELECT dedup_key, id FROM outbox WHERE id > ?", (highest,)
        ) as cur:
            return {r[0]: r[1] for r in await cur.fetchall()}

    async def next_ready(self, now: datetime, after_id: int = 0,
                         answers_only: bool = False,
                         channel: str = TELEGRAM) -> OutboxMessage | None:
        """The oldest message on `channel` due now. A digest not begun on its own day waits
        for the next day's plan to fold it in: never on a weekend, never two in a day."""
        only = "AND kind = ? " if answers_only else ""
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? "
            f"AND id > ? AND channel = ? "
            f"AND NOT (kind IN ({_DIGEST_MARKS}) AND parts_sent = 0 AND day < ?) "
            f"{only}ORDER BY id LIMIT 1",
            (to_text(now), after_id, channel, *DIGEST_KINDS, to_text(now.date()),
             *((ANSWER_KIND,) if answers_only else ())),
        ) as cur:
            row = await cur.fetchone()
        return _message(row) if row else None

    async def claim_next(self, now: datetime, until: datetime, worker: str, after_id: int = 0,
                         answers_only: bool = False,
                         channel: str = TELEGRAM) -> OutboxMessage | None:
        """(Several processes, PostgreSQL) `next_ready`, claimed for `worker` until `until`:
        a message nobody holds (or whose claim ran out: its process was killed), to a chat
        no other claimed message is going to (one in flight per chat keeps its order)."""
        only = "AND o.kind = ? " if answers_only else ""
        skip = " FOR UPDATE SKIP LOCKED" if getattr(self._conn, "dialect", "") else ""
        async with self._conn.execute(
            "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id = ("
            "SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= ? "
            "AND o.id > ? AND o.channel = ? "
            f"AND NOT (o.kind IN ({_DIGEST_MARKS}) AND o.parts_sent = 0 AND o.day < ?) "
            f"{only}AND (o.claimed_until IS NULL OR o.claimed_until < ?) "
            # the chats with a message in flight, looked up once (not once per row)
            "AND o.address NOT IN (SELECT b.address FROM outbox b WHERE b.channel = ? "
            f"AND b.status = 'pending' AND b.claimed_until >= ?) ORDER BY o.id LIMIT 1{skip}) "
            f"RETURNING {_COLUMNS}",
            (worker, to_text(until), to_text(now), after_id, channel, *DIGEST_KINDS,
             to_text(now.date()), *((ANSWER_KIND,) if answers_only else ()), to_text(now),
             channel, to_text(now)),
        ) as cur:
            row = await cur.fetchone()
        return _message(row) if row else None

    async def claim_ids(self, ids: Iterable[int], now: datetime, until: datetime,
                        worker: str) -> list[OutboxMessage]:
        """(Several processes) These pending messages (a handler's answers), claimed for
        `worker`, in id order; those another process holds now are left out."""
        wanted = list(ids)
        marks = ",".join("?" * len(wanted))
        async with self._conn.execute(
            f"UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN ({marks}) "
            "AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < ? "
            f"OR claimed_by = ?) RETURNING {_COLUMNS}",
            (worker, to_text(until), *wanted, to_text(now), worker),
        ) as cur:
            rows = await cur.fetchall()
        return sorted((_message(r) for r in rows), key=lambda m: m.id)

    async def renew_claims(self, worker: str, now: datetime, until: datetime) -> int:
        """(Several processes) `worker`'s messages in flight stay its own until `until`
        (a send may wait out a group's minute in the rate limiter)."""
        cur = await self._conn.execute(
            "UPDATE outbox SET claimed_until = ? WHERE claimed_by = ? AND status = 'pending' "
            "AND claimed_until >= ?", (to_text(until), worker, to_text(now)))
        return cur.rowcount

    async def next_per_target(self, now: datetime, channel: str) -> list[OutboxMessage]:
        """The oldest message due now for each target on `channel` (a robot's are sent one
        at a time, at the robot's own pace, so one slow robot holds up no other)."""
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE id IN (SELECT MIN(id) FROM outbox "
            "WHERE status = 'pending' AND channel = ? AND next_attempt_at <= ? "
            f"AND NOT (kind IN ({_DIGEST_MARKS}) AND parts_sent = 0 AND day < ?) "
            "GROUP BY address) ORDER BY id",
            (channel, to_text(now), *DIGEST_KINDS, to_text(now.date())),
        ) as cur:
            rows = await cur.fetchall()
        return [_message(r) for r in rows]

    async def keys_starting(self, prefix: str) -> list[str]:
        """Every dedup key that begins with `prefix` (a family of messages), read as a
        range of the keys' unique index: [prefix, the prefix with its last character
        stepped up)."""
        after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        async with self._conn.execute(
            "SELECT dedup_key FROM outbox WHERE dedup_key >= ? AND dedup_key < ?",
            (prefix, after),
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def sent_telegram(self, prefix: str) -> list[tuple[int, int, dict[str, Any]]]:
        """(chat id, Telegram message id of its last part, payload) of every Telegram
        message sent whose dedup key begins with `prefix`: a notice to redraw."""
        after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        async with self._conn.execute(
            "SELECT address, message_id, payload FROM outbox WHERE dedup_key >= ? "
            "AND dedup_key < ? AND channel = 'telegram' AND message_id IS NOT NULL "
            "ORDER BY id", (prefix, after),
        ) as cur:
            rows = await cur.fetchall()
        return [(int(r[0]), int(r[1]), from_json(r[2])) for r in rows]

    async def queued(self, keys: Iterable[str]) -> set[str]:
        """Which of these dedup keys were queued before (sent or not)."""
        wanted = list(keys)
        if not wanted:
            return set()
        async with self._conn.execute(
            f"SELECT dedup_key FROM outbox WHERE dedup_key IN ({','.join('?' * len(wanted))})",
            wanted,
        ) as cur:
            return {r[0] for r in await cur.fetchall()}

    async def by_ids(self, ids: Iterable[int]) -> list[OutboxMessage]:
        """These messages as they stand, in id order (those still pending)."""
        wanted = list(ids)
        marks = ",".join("?" * len(wanted))
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE id IN ({marks}) AND status = 'pending' "
            "ORDER BY id", wanted,
        ) as cur:
            rows = await cur.fetchall()
        return [_message(r) for r in rows]

    async def release_answers(self, now: datetime, ids: Iterable[int] | None = None) -> int:
        """Answers held back for their handler go out now: at start-up all of them (their
        handler was killed), else those named (their handler could not send them)."""
        only = ""
        args: list[object] = [to_text(now), ANSWER_KIND, to_text(now)]
        if ids is not None:
            wanted = list(ids)
            only = f" AND id IN ({','.join('?' * len(wanted))})"
            args += wanted
        cur = await self._conn.execute(
            "UPDATE outbox SET next_attempt_at = ? WHERE kind = ? AND status = 'pending' "
            f"AND next_attempt_at > ?{only}", args,
        )
        return cur.rowcount

    async def by_status(self, status: OutboxStatus) -> list[OutboxMessage]:
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE status = ? ORDER BY id", (status.value,)
        ) as cur:
            rows = await cur.fetchall()
        return [_message(r) for r in rows]

    async def pending_count(self) -> int:
        async with self._conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending'"
        ) as cur:
            (n,) = await cur.fetchone()
        return n

    async def part_sent(self, message_id: int, parts_sent: int, last: bool, now: datetime,
                        telegram_message_id: int | None) -> None:
        await self._conn.execute(
            "UPDATE outbox SET parts_sent = ?, status = ?, sent_at = ?, message_id = ?, "
            "last_error = NULL, claimed_until = CASE WHEN ? THEN NULL ELSE claimed_until END "
            "WHERE id = ? AND status = 'pending'",
            (parts_sent, OutboxStatus.SENT.value if last else OutboxStatus.PENDING.value,
             to_text(now), telegram_message_id, last, message_id),
        )

    async def retry_later(self, message_id: int, at: datetime, error: str,
                          count_attempt: bool = True) -> None:
        await self._conn.execute(
            "UPDATE outbox SET next_attempt_at = ?, attempts = attempts + ?, last_error = ?, "
            "claimed_until = NULL WHERE id = ? AND status = 'pending'",
            (to_text(at), 1 if count_attempt else 0, error, message_id),
        )

    async def finish(self, message_id: int, status: OutboxStatus, error: str | None) -> None:
        await self._conn.execute(
            "UPDATE outbox SET status = ?, last_error = ?, claimed_until = NULL "
            "WHERE id = ? AND status = 'pending'",
            (status.value, error, message_id),
        )

    async def supersede_stale(self, kinds: tuple[str, ...], before: date) -> list[int]:
        """Digests from earlier days that never went out: fold them into today's."""
        marks = ",".join("?" * len(kinds))
        async with self._conn.execute(
            f"SELECT id FROM outbox WHERE status = 'pending' AND parts_sent = 0 "
            f"AND kind IN ({marks}) AND day < ?",
            (*kinds, to_text(before)),
        ) as cur:
            ids = [r[0] for r in await cur.fetchall()]
        await self._conn.executemany(
            "UPDATE outbox SET status = 'superseded' WHERE id = ?", [(i,) for i in ids]
        )
        return ids

    async def follow_person(self, person_id: int, chat_id: int) -> None:
        """A person bound a new Telegram account: what waits for them there goes there."""
        await self._conn.execute(
            "UPDATE outbox SET address = ? WHERE person_id = ? AND channel = ? "
            "AND status = 'pending'", (chat_id, person_id, TELEGRAM),
        )

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: its pending messages follow it."""
        await self._conn.execute(
            "UPDATE outbox SET address = ? WHERE channel = ? AND address = ? "
            "AND status = 'pending'", (new_chat_id, TELEGRAM, old_chat_id),
        )


_INSERT = ("INSERT OR IGNORE INTO outbox (dedup_key, channel, address, person_id, kind, day, "
           "payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _row(m: NewMessage, now: datetime) -> tuple[object, ...]:
    return (m.dedup_key, m.target.channel, m.target.address, m.person_id, m.kind, to_text(m.day),
            to_json(m.payload, keep_order=True), to_text(m.not_before or now), to_text(now))


def _message(row: aiosqlite.Row) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"], dedup_key=row["dedup_key"],
        target=Target(row["channel"], str(row["address"])),
        person_id=row["person_id"], kind=row["kind"], day=to_date(row["day"]),
        payload=from_json(row["payload"]), status=OutboxStatus(row["status"]),
        parts_sent=row["parts_sent"], attempts=row["attempts"],
    )
