"""人员交接 (issue 24 §5): what a leaver holds, read for the plan, and the moves that hand it
to their successor. Every write here runs inside the caller's one transaction; the
履责纪实 of each move is the service's (tx.events)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import aiosqlite

from bot.domain.handover import LetterState
from bot.domain.model import Item, ItemStatus
from storage.codec import to_text
from storage.items import _COLUMNS, _item
from storage.outbox import ANSWER_KIND

#: An item is closed in these; in any other it still asks something of someone.
_CLOSED = (ItemStatus.DONE.value, ItemStatus.VERIFIED.value, ItemStatus.CANCELLED.value)
_CLOSED_MARKS = ",".join("?" * len(_CLOSED))


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


class HandoverRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    # -- what the leaver holds -------------------------------------------------------------

    async def owned(self, person_id: int) -> list[Item]:
        """Every item not closed that this person owns (待验收 among them: a 退回 would
        reach its owner)."""
        return await self._items(
            f"SELECT {_COLUMNS} FROM items WHERE owner_id = ? "
            f"AND status NOT IN ({_CLOSED_MARKS}) ORDER BY due_date, id",
            (person_id, *_CLOSED))

    async def attending(self, person_id: int) -> list[Item]:
        """Open talks where this person is the one talked with."""
        return await self._items(
            f"SELECT {_COLUMNS} FROM items WHERE counterpart_id = ? "
            f"AND status NOT IN ({_CLOSED_MARKS}) ORDER BY due_date, id",
            (person_id, *_CLOSED))

    async def already_held(self, leaver_id: int, successor_id: int) -> set[int]:
        """The leaver's open obligation occurrences (owned, or talks they attend) that the
        successor holds already for the same rule and period: moving one would make the
        occurrence twice (items_occurrence)."""
        async with self._conn.execute(
            "SELECT i.id FROM items i WHERE i.rule_key IS NOT NULL "
            f"AND i.status NOT IN ({_CLOSED_MARKS}) AND ("
            " (i.owner_id = ? AND EXISTS (SELECT 1 FROM items o WHERE o.rule_key = i.rule_key"
            "  AND o.period = i.period AND o.owner_id = ?"
            "  AND COALESCE(o.counterpart_id, 0) = COALESCE(i.counterpart_id, 0)))"
            " OR (i.counterpart_id = ? AND EXISTS (SELECT 1 FROM items o"
            "  WHERE o.rule_key = i.rule_key AND o.period = i.period"
            "  AND o.owner_id = i.owner_id AND o.counterpart_id = ?)))",
            (*_CLOSED, leaver_id, successor_id, leaver_id, successor_id),
        ) as cur:
            return {r[0] for r in await cur.fetchall()}

    async def pending_requests(self, person_id: int) -> list[tuple[int, int]]:
        """(request id, item id) of this person's 延期 requests not decided yet."""
        async with self._conn.execute(
            "SELECT id, item_id FROM extension_requests WHERE requester_id = ? "
            "AND state = 'pending' ORDER BY id", (person_id,),
        ) as cur:
            return [(r[0], r[1]) for r in await cur.fetchall()]

    async def handed_down(self, parent_ids: Iterable[int]) -> tuple[list[Item], set[int]]:
        """(the open 分解 children of these items, those of these items that are 分解
        children themselves)."""
        ids = list(parent_ids)
        if not ids:
            return [], set()
        children = await self._items(
            f"SELECT {', '.join('i.' + c.strip() for c in _COLUMNS.split(','))} "
            "FROM delegations d JOIN items i ON i.id = d.child_id "
            f"WHERE d.parent_id IN ({_marks(ids)}) AND i.status NOT IN ({_CLOSED_MARKS}) "
            "ORDER BY i.due_date, i.id", (*ids, *_CLOSED))
        async with self._conn.execute(
            f"SELECT child_id FROM delegations WHERE child_id IN ({_marks(ids)})", ids,
        ) as cur:
            delegated = {r[0] for r in await cur.fetchall()}
        return children, delegated

    async def letter(self, leaver_id: int, successor_id: int, today: date
                     ) -> LetterState | None:
        """The leaver's 责任书 of this year (or of a later year already issued)."""
        async with self._conn.execute(
            "SELECT id, year, signed_at FROM letters WHERE person_id = ? AND year >= ? "
            "ORDER BY year DESC LIMIT 1", (leaver_id, today.year),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        async with self._conn.execute(
            "SELECT COUNT(*) FROM letters WHERE person_id = ? AND year = ?",
            (successor_id, row[1]),
        ) as cur:
            (theirs,) = await cur.fetchone()
        return LetterState(id=row[0], year=row[1], signed=row[2] is not None,
                           successor_has_one=theirs > 0)

    async def former(self) -> set[int]:
        """Those who left (人员交接): no longer among the active people."""
        async with self._conn.execute("SELECT id FROM persons WHERE active = 0") as cur:
            return {r[0] for r in await cur.fetchall()}

    async def cases_concerning(self, person_id: int) -> int:
        async with self._conn.execute(
            "SELECT COUNT(*) FROM cases WHERE person_id = ?", (person_id,)
        ) as cur:
            (n,) = await cur.fetchone()
        return n

    # -- the moves -------------------------------------------------------------------------

    async def move_items(self, ids: Sequence[int], successor_id: int, now: datetime) -> None:
        await self._conn.executemany(
            "UPDATE items SET owner_id = ?, updated_at = ? WHERE id = ?",
            [(successor_id, to_text(now), i) for i in ids])

    async def move_counterpart(self, ids: Sequence[int], successor_id: int,
                               now: datetime) -> None:
        await self._conn.executemany(
            "UPDATE items SET counterpart_id = ?, updated_at = ? WHERE id = ?",
            [(successor_id, to_text(now), i) for i in ids])

    async def retitle(self, titles: Sequence[tuple[int, str]], now: datetime) -> None:
        """(item id, new title) for each."""
        await self._conn.executemany(
            "UPDATE items SET title = ?, updated_at = ? WHERE id = ?",
            [(title, to_text(now), i) for i, title in titles])

    async def move_requests(self, ids: Sequence[int], successor_id: int) -> None:
        await self._conn.executemany(
            "UPDATE extension_requests SET requester_id = ? WHERE id = ? AND state = 'pending'",
            [(successor_id, i) for i in ids])

    async def move_letter(self, letter_id: int, successor_id: int) -> None:
        await self._conn.execute(
            "UPDATE letters SET person_id = ? WHERE id = ? AND signed_at IS NULL",
            (successor_id, letter_id))

    async def readdress_reminders(self, leaver_id: int, successor_id: int) -> int:
        """The leaver's planned reminders not sent yet go to the successor (the next digest
        folds them in); one the successor has already for that stage stays."""
        old, new = f"p:{leaver_id}", f"p:{successor_id}"
        cur = await self._conn.execute(
            "UPDATE reminders SET recipient = ? WHERE recipient = ? AND outbox_id IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.recipient = ? "
            "AND r.item_id = reminders.item_id AND r.stage = reminders.stage "
            "AND r.due_date = reminders.due_date)", (new, old, new))
        return cur.rowcount

    async def supersede_queued(self, person_id: int) -> list[int]:
        """Every message still queued for this person (their digests, notices,
        escalations), but an answer to something they just did: superseded, never sent.
        Returns their ids."""
        async with self._conn.execute(
            "SELECT id FROM outbox WHERE person_id = ? AND status = 'pending' AND kind <> ?",
            (person_id, ANSWER_KIND),
        ) as cur:
            ids = [r[0] for r in await cur.fetchall()]
        await self._conn.executemany(
            "UPDATE outbox SET status = 'superseded' WHERE id = ? AND status = 'pending'",
            [(i,) for i in ids])
        return ids

    async def end_binding(self, person_id: int, now: datetime) -> None:
        """The person leaves: their Telegram account is free again, they are no longer
        among the active people, their roles and 分管 are gone (moved), their open invites
        revoked. Their name stays on everything they did."""
        await self._conn.execute(
            "UPDATE persons SET telegram_user_id = NULL, active = 0 WHERE id = ?",
            (person_id,))
        await self._conn.execute("DELETE FROM person_roles WHERE person_id = ?", (person_id,))
        await self._conn.execute("DELETE FROM person_oversight WHERE person_id = ?",
                                 (person_id,))
        await self._conn.execute(
            "UPDATE invites SET revoked_at = ? WHERE person_id = ? AND used_at IS NULL "
            "AND revoked_at IS NULL", (to_text(now), person_id))

    async def _items(self, sql: str, args: tuple[object, ...]) -> list[Item]:
        async with self._conn.execute(sql, args) as cur:
            return [_item(r) for r in await cur.fetchall()]
