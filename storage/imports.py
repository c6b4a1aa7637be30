"""An import's reads (what the workbook may refer to) and its writes (the plan, applied).

Both run inside the caller's transaction, so the plan is made from the same state it is
applied to, and all of it commits or none of it. New records go through the same
repositories as records made in chat (same tables, same item code series).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from bot.domain.channels import Handle
from bot.domain.model import Item, Person, Unit
from bot.domain.workbook import ImportPlan, ItemChange, PersonChange, Stored, UnitChange
from storage.codec import to_text
from storage.items import _COLUMNS as _ITEM_COLUMNS
from storage.items import ItemRepo, _item
from storage.people import PersonRepo, UnitRepo

_HANDLES = (Handle.WECOM_USERID.value, Handle.FEISHU_OPEN_ID.value)  # their columns
_CHUNK = 900  # older SQLite builds bind at most 999 parameters in one statement


@dataclass
class Applied:
    """What the plan made, for the events and the reply."""

    units: dict[str, Unit] = field(default_factory=dict)  # every unit, by name, afterwards
    people: list[tuple[PersonChange, Person]] = field(default_factory=list)  # the new ones
    items: list[tuple[ItemChange, Item]] = field(default_factory=list)  # created or updated


class ImportRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._units = UnitRepo(conn)
        self._persons = PersonRepo(conn)
        self._items = ItemRepo(conn)

    # -- reading ---------------------------------------------------------------------------

    async def stored(self, codes: Iterable[str], titles: Iterable[str]) -> Stored:
        """Units and people, and the items the file names by code or may match by title,
        with their parents up the chain."""
        units = await self._units.all()
        people = await self._persons.all()
        contacts, handles = await self._contacts()
        items = await self._items_where("code", sorted(set(codes)))
        items.update(await self._items_where("title", sorted(set(titles))))
        wanted = {i.parent_id for i in items.values() if i.parent_id} - items.keys()
        while wanted:
            found = await self._items.by_ids(wanted)
            items.update(found)
            wanted = {i.parent_id for i in found.values() if i.parent_id} - items.keys()
        async with self._conn.execute(  # those who left (人员交接): their items' rows
                "SELECT id, name, unit_id FROM persons WHERE active = 0") as cur:
            former = {r[0]: Person(id=r[0], name=r[1], unit_id=r[2], roles=frozenset())
                      for r in await cur.fetchall()}
        return Stored(units=units, people=people, contacts=contacts, items=items,
                      handles=handles, former=former)

    async def _contacts(self) -> tuple[dict[int, tuple[str | None, str | None]],
                                       dict[int, dict[str, str]]]:
        """Everyone's (手机号, 备注), and the messenger handles set by hand."""
        async with self._conn.execute(
                f"SELECT id, phone, note, {', '.join(_HANDLES)} FROM persons") as cur:
            rows = await cur.fetchall()
        contacts = {r["id"]: (r["phone"], r["note"]) for r in rows}
        handles = {r["id"]: {h: r[h] for h in _HANDLES if r[h]} for r in rows}
        return contacts, handles

    async def _items_where(self, column: str, values: list[str]) -> dict[int, Item]:
        found: dict[int, Item] = {}
        for start in range(0, len(values), _CHUNK):
            chunk = values[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            async with self._conn.execute(
                f"SELECT {_ITEM_COLUMNS} FROM items WHERE {column} IN ({marks})", chunk
            ) as cur:
                found.update({r["id"]: _item(r) for r in await cur.fetchall()})
        return found

    # -- writing ---------------------------------------------------------------------------

    async def apply(self, plan: ImportPlan, now: datetime) -> Applied:
        """The plan written set-based: a handful of statements per table (executemany), not
        a few per row, so that even 20 000 rows are one short write."""
        applied = Applied()
        await self._apply_units(plan.units, now, applied)
        person_ids = await self._apply_people(plan.people, now, applied)
        await self._apply_items(plan.items, now, applied, person_ids)
        return applied

    async def _apply_units(self, changes: Iterable[UnitChange], now: datetime,
                           applied: Applied) -> None:
        by_name = {u.name: u for u in (await self._units.all()).values()}
        new: list[Unit] = []
        updates = []
        next_id = await self._units.next_id()
        for c in changes:  # new ones first, parents before children
            if c.unit_id is None:
                parent_id = by_name[c.parent].id if c.parent else None
                by_name[c.name] = Unit(next_id, c.name, c.kind, parent_id)
                new.append(by_name[c.name])
                next_id += 1
            else:
                updates.append(c)
        await self._units.add_many(new, now)
        rows = []
        for c in updates:  # after the new ones: a unit may move under a new unit
            parent_id = by_name[c.parent].id if c.parent else None
            rows.append((c.kind.value, parent_id, c.unit_id))
            by_name[c.name] = Unit(c.unit_id, c.name, c.kind, parent_id)
        await self._conn.executemany("UPDATE units SET kind = ?, parent_id = ? WHERE id = ?",
                                     rows)
        applied.units = by_name

    async def _apply_people(self, changes: Iterable[PersonChange], now: datetime,
                            applied: Applied) -> dict[tuple[str, str], int]:
        units = applied.units
        unit_names = {u.id: u.name for u in units.values()}
        async with self._conn.execute("SELECT id, name, unit_id FROM persons") as cur:
            ids = {(r["name"], unit_names.get(r["unit_id"], "")): r["id"]
                   for r in await cur.fetchall()}
        new: list[tuple[Person, str | None, str | None]] = []
        updated: list[Person] = []
        contacts: list[tuple[int, str | None, str | None]] = []
        handles: list[tuple[int, str | None, str | None]] = []
        next_id = await self._persons.next_id()
        for c in changes:
            oversees = frozenset(units[n].id for n in c.oversees)
            if c.person_id is None:
                person = Person(next_id, c.name, units[c.unit].id, c.roles, oversees)
                next_id += 1
                ids[(c.name, c.unit)] = person.id
                applied.people.append((c, person))
                new.append((person, c.phone, c.note))
            else:
                updated.append(Person(c.person_id, c.name, units[c.unit].id, c.roles, oversees))
                contacts.append((c.person_id, c.phone, c.note))
            person_id = c.person_id or ids[(c.name, c.unit)]
            wecom, feishu = (c.handles.get(h) for h in _HANDLES)
            handles.append((person_id, wecom, feishu))
        await self._persons.add_many(new, now)
        await self._persons.set_contacts(contacts)
        await self._persons.set_handles_many(handles)
        await self._persons.set_roles(updated)
        return ids

    async def _apply_items(self, changes: Iterable[ItemChange], now: datetime,
                           applied: Applied, person_ids: dict[tuple[str, str], int]) -> None:
        changes = list(changes)
        units = applied.units
        new = [c for c in changes if c.item_id is None]
        allocated = await self._items.allocate([(c.kind, c.code) for c in new])
        numbers = iter(allocated)  # in the order of `new`
        ids_by_code = {code: item_id for item_id, code in allocated}
        created: list[Item] = []
        updates = []
        for c in changes:  # new ones come first, parents before children
            parent_id = None
            if c.parent is not None:
                parent_id = c.parent.item_id or ids_by_code[c.parent.code or ""]
            if c.item_id is None:
                item_id, code = next(numbers)
                item = Item(id=item_id, code=code, kind=c.kind, title=c.title, duty=c.duty,
                            owner_id=person_ids[c.owner], unit_id=units[c.unit].id,
                            due_date=c.due, status=c.status, parent_id=parent_id,
                            source=c.source)
                created.append(item)
            else:
                updates.append((c.title, c.duty.value, person_ids[c.owner], units[c.unit].id,
                                parent_id, c.source, to_text(c.due), c.status.value,
                                to_text(now), c.item_id))
                item = Item(id=c.item_id, code=c.code or "", kind=c.kind, title=c.title,
                            duty=c.duty, owner_id=person_ids[c.owner], unit_id=units[c.unit].id,
                            due_date=c.due, status=c.status, parent_id=parent_id,
                            source=c.source)
            applied.items.append((c, item))
        await self._items.add_many(created, now)
        await self._conn.executemany(
            "UPDATE items SET title = ?, duty = ?, owner_id = ?, unit_id = ?, parent_id = ?, "
            "source = ?, due_date = ?, status = ?, updated_at = ? WHERE id = ?", updates)
