"""The three lists' items."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import date, datetime
from types import MemberDescriptorType

import aiosqlite

from bot.domain.model import ACTIVE_STATUSES, CODE_PREFIX, Duty, Item, ItemStatus, ListKind
from bot.domain.permissions import Scope
from storage.codec import to_date, to_text

_COLUMNS = ("id, code, kind, title, duty, owner_id, unit_id, parent_id, source, due_date, status, "
            "rule_key, counterpart_id")
_ACTIVE = tuple(sorted(s.value for s in ACTIVE_STATUSES))
_ACTIVE_MARKS = ",".join("?" * len(_ACTIVE))
# Grouped by list (问题, 责任, 措施), overdue first, then by due date.
_ORDER = (
    "ORDER BY CASE kind WHEN 'problem' THEN 0 WHEN 'responsibility' THEN 1 "
    "WHEN 'measure' THEN 2 WHEN 'rectification' THEN 3 ELSE 4 END, "
    f"(status IN ({_ACTIVE_MARKS}) AND due_date < ?) DESC, due_date, id"
)
_CHUNK = 900



class ItemRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        kind: ListKind,
        title: str,
        duty: Duty,
        owner_id: int,
        unit_id: int,
        parent_id: int | None,
        source: str | None,
        due_date: date,
        now: datetime,
        code: str | None = None,
        rule_key: str | None = None,
        period: str | None = None,
        counterpart_id: int | None = None,
        status: ItemStatus = ItemStatus.OPEN,
    ) -> Item:
        async with self._conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM items") as cur:
            (item_id,) = await cur.fetchone()
        if not code:
            # the code is the id's; an imported item may hold it already, so skip that id
            while await self.by_code(code := f"{CODE_PREFIX[kind]}{item_id:04d}"):
                item_id += 1
        await self._conn.execute(
            f"INSERT INTO items ({_COLUMNS}, period, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item_id, code, kind.value, title, duty.value, owner_id, unit_id, parent_id,
             source, to_text(due_date), status.value, rule_key, counterpart_id,
             period, to_text(now), to_text(now)),
        )
        return Item(id=item_id, code=code, kind=kind, title=title, duty=duty, owner_id=owner_id,
                    unit_id=unit_id, parent_id=parent_id, source=source, due_date=due_date,
                    status=status, rule_key=rule_key, counterpart_id=counterpart_id)

    async def allocate(self, wanted: Sequence[tuple[ListKind, str | None]]
                       ) -> list[tuple[int, str]]:
        """Ids and codes for new items, in order, as `add` would give them one after the
        other: the next ids, and the code given, else the kind's letter and the id, passing
        over an id whose code is taken (stored, or given to another of these items). A few
        queries for any number of items; insert them with `add_many` in the same
        transaction."""
        async with self._conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM items") as cur:
            (first,) = await cur.fetchone()
        taken = {code for _, code in wanted if code}
        while True:
            allocated: list[tuple[int, str]] = []
            made: list[str] = []
            item_id = first
            for kind, given in wanted:
                code = given
                if not code:
                    while (code := f"{CODE_PREFIX[kind]}{item_id:04d}") in taken:
                        item_id += 1
                    made.append(code)
                allocated.append((item_id, code))
                item_id += 1
            stored = await self._stored_codes(made)
            if not stored:
                return allocated
            taken |= stored  # rare: an imported item holds such a code; number again

    async def _stored_codes(self, codes: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(codes), _CHUNK):
            chunk = codes[start:start + _CHUNK]
            async with self._conn.execute(
                f"SELECT code FROM items WHERE code IN ({','.join('?' * len(chunk))})", chunk
            ) as cur:
                found.update(r[0] for r in await cur.fetchall())
        return found

    async def add_many(self, items: Sequence[Item], now: datetime) -> None:
        """New items with the ids and codes `allocate` gave them, parents first."""
        at = to_text(now)
        await self._conn.executemany(
            f"INSERT INTO items ({_COLUMNS}, period, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
            [(i.id, i.code, i.kind.value, i.title, i.duty.value, i.owner_id, i.unit_id,
              i.parent_id, i.source, to_text(i.due_date), i.status.value, i.rule_key,
              i.counterpart_id, at, at) for i in items],
        )

    async def get(self, item_id: int) -> Item | None:
        found = await self.by_ids([item_id])
        return found.get(item_id)

    async def by_code(self, code: str) -> Item | None:
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM items WHERE code = ?", (code,)
        ) as cur:
            row = await cur.fetchone()
        return _item(row) if row else None

    async def by_ids(self, ids: Iterable[int]) -> dict[int, Item]:
        ids = sorted(set(ids))
        found: dict[int, Item] = {}
        # in chunks: older SQLite builds bind at most 32 766 parameters in one statement
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            async with self._conn.execute(
                f"SELECT {_COLUMNS} FROM items WHERE id IN ({marks})", chunk
            ) as cur:
                found.update({r["id"]: _item(r) for r in await cur.fetchall()})
        return found

    async def set_status(self, item_id: int, status: ItemStatus, now: datetime) -> None:
        await self._conn.execute(
            "UPDATE items SET status = ?, updated_at = ? WHERE id = ?",
            (status.value, to_text(now), item_id),
        )

    async def set_due(self, item_id: int, due_date: date, now: datetime) -> None:
        """A moved due date: the reminder plan starts again, since reminders are kept
        per (item, due date)."""
        await self._conn.execute(
            "UPDATE items SET due_date = ?, updated_at = ? WHERE id = ?",
            (to_text(due_date), to_text(now), item_id),
        )

    async def owned_active(self, owner_id: int, limit: int) -> list[Item]:
        """The owner's items still asking something of them, most urgent first."""
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM items WHERE owner_id = ? AND status IN ({_ACTIVE_MARKS}) "
            "ORDER BY due_date, id LIMIT ?",
            (owner_id, *_ACTIVE, limit),
        ) as cur:
            rows = await cur.fetchall()
        return [_item(r) for r in rows]

    async def of_kind(self, kind: ListKind, owner_id: int | None = None,
                      statuses: Iterable[ItemStatus] | None = None) -> list[Item]:
        """Items of one kind, maybe one owner's, maybe in some statuses; by due date."""
        where, params = ["kind = ?"], [kind.value]
        if owner_id is not None:
            where.append("owner_id = ?")
            params.append(owner_id)
        if statuses is not None:
            values = sorted(s.value for s in statuses)
            where.append(f"status IN ({','.join('?' * len(values))})")
            params += values
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM items WHERE {' AND '.join(where)} ORDER BY due_date, id",
            params,
        ) as cur:
            rows = await cur.fetchall()
        return [_item(r) for r in rows]

    async def talks_of(self, owner_id: int) -> list[Item]:
        """The talks a person must hold (required or scheduled), by due date."""
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM items WHERE owner_id = ? AND counterpart_id IS NOT NULL "
            "ORDER BY due_date, id",
            (owner_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [_item(r) for r in rows]

    async def children(self, parent_id: int) -> list[Item]:
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM items WHERE parent_id = ? ORDER BY id", (parent_id,)
        ) as cur:
            rows = await cur.fetchall()
        return [_item(r) for r in rows]

    async def count_in_scope(self, scope: Scope) -> int:
        where, params = _scope_filter(scope)
        async with self._conn.execute(f"SELECT COUNT(*) FROM items WHERE {where}", params) as cur:
            (total,) = await cur.fetchone()
        return total

    async def page_in_scope(
        self, scope: Scope, today: date, offset: int, limit: int
    ) -> list[Item]:
        """One page of the items the scope covers: by list, overdue first, then by due date."""
        where, params = _scope_filter(scope)
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM items WHERE {where} {_ORDER} LIMIT ? OFFSET ?",
            (*params, *_ACTIVE, to_text(today), limit, offset),
        ) as cur:
            rows = await cur.fetchall()
        return [_item(r) for r in rows]

    async def page_with_total(
        self, scope: Scope, today: date, offset: int, limit: int
    ) -> tuple[list[Item], int]:
        """`page_in_scope` and `count_in_scope` in one statement: the page, and how many
        items the scope covers (0 when the page is past the end: count them then)."""
        where, params = _scope_filter(scope)
        # the count as a subquery SQLite runs once, on the index (a window's COUNT(*) OVER ()
        # would carry every row of the scope through the sort: slower, measured)
        async with self._conn.execute(
            f"SELECT {_COLUMNS}, (SELECT COUNT(*) FROM items WHERE {where}) AS total "
            f"FROM items WHERE {where} {_ORDER} LIMIT ? OFFSET ?",
            (*params, *params, *_ACTIVE, to_text(today), limit, offset),
        ) as cur:
            rows = await cur.fetchall()
        return [_item(r) for r in rows], rows[0]["total"] if rows else 0

    async def with_ancestors(self, ids: Iterable[int]) -> dict[int, Item]:
        """These items and every item above them (their parents, the parents' parents…), in
        one statement however deep the chains go: a page's parents are few, so it starts
        from them rather than from the page."""
        ids = sorted(set(ids))
        found: dict[int, Item] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            async with self._conn.execute(
                "WITH RECURSIVE up(id) AS ("
                f"  SELECT id FROM items WHERE id IN ({marks})"
                "  UNION"
                "  SELECT i.parent_id FROM items i JOIN up ON i.id = up.id"
                "  WHERE i.parent_id IS NOT NULL)"
                f" SELECT {_COLUMNS} FROM items WHERE id IN (SELECT id FROM up)", chunk
            ) as cur:
                found.update({r[0]: _item(r) for r in await cur.fetchall()})
        return found

    async def due_for_owner(self, owner_id: int, until: date) -> list[Item]:
        """The owner's active items that are overdue or due by `until`, most urgent first."""
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM items WHERE owner_id = ? AND status IN ({_ACTIVE_MARKS}) "
            "AND due_date <= ? ORDER BY due_date, id",
            (owner_id, *_ACTIVE, to_text(until)),
        ) as cur:
            rows = await cur.fetchall()
        return [_item(r) for r in rows]

    async def candidates_for_parent(self, kind: ListKind, limit: int) -> list[Item]:
        """Active items of a list, newest first: the parents one may hang a new item under."""
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM items WHERE kind = ? AND status IN ({_ACTIVE_MARKS}) "
            "ORDER BY id DESC LIMIT ?",
            (kind.value, *_ACTIVE, limit),
        ) as cur:
            rows = await cur.fetchall()
        return [_item(r) for r in rows]


def _scope_filter(scope: Scope) -> tuple[str, tuple[object, ...]]:
    if scope.everything:
        return "1 = 1", ()
    units = sorted(scope.unit_ids)
    if not units:
        return "owner_id = ?", (scope.person_id,)
    marks = ",".join("?" * len(units))
    return f"(owner_id = ? OR unit_id IN ({marks}))", (scope.person_id, *units)


# stored value -> member, looked up in a dict (calling the Enum costs several times more,
# and a page or /待办 reads dozens of rows)
_KINDS = {k.value: k for k in ListKind}
_DUTIES = {d.value: d for d in Duty}
_STATUSES = {s.value: s for s in ItemStatus}


def _item(row: sqlite3.Row) -> Item:
    """A row whose first columns are _COLUMNS, in that order (by position: faster), made
    into an Item through its slots (see below)."""
    item = _new(Item)
    _id(item, row[0])
    _code(item, row[1])
    _kind(item, _KINDS[row[2]])
    _title(item, row[3])
    _duty(item, _DUTIES[row[4]])
    _owner_id(item, row[5])
    _unit_id(item, row[6])
    _due_date(item, to_date(row[9]))
    _status(item, _STATUSES[row[10]])
    _parent_id(item, row[7])
    _source(item, row[8])
    _rule_key(item, row[11])
    _counterpart_id(item, row[12])
    return item


# A frozen dataclass's __init__ sets each field through object.__setattr__, which costs
# as much again as the rest of making an Item from a row; a page or /待办 makes dozens, so
# _item sets Item's slots itself, every one of them, and Item has no __post_init__ to skip.
# Each slot's setter, taken by name: a field added or renamed must fail here at import
# (an unset slot would fail only when read), and so does a reorder, which keeps _FIELDS
# written in Item's order.
_new = object.__new__
_FIELDS = ("id", "code", "kind", "title", "duty", "owner_id", "unit_id", "due_date", "status",
           "parent_id", "source", "rule_key", "counterpart_id")
if tuple(f.name for f in fields(Item)) != _FIELDS or hasattr(Item, "__post_init__") \
        or not all(isinstance(Item.__dict__.get(f), MemberDescriptorType) for f in _FIELDS):
    raise ImportError("storage/items.py _item: Item's fields changed")
(_id, _code, _kind, _title, _duty, _owner_id, _unit_id, _due_date, _status, _parent_id, _source,
 _rule_key, _counterpart_id) = (Item.__dict__[f].__set__ for f in _FIELDS)
