"""Units, persons (with roles and 分管) and invite codes."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

import aiosqlite

from bot.domain.channels import Handle
from bot.domain.model import Invite, Person, Role, Unit, UnitKind
from storage.codec import to_datetime, to_text


class UnitRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, name: str, kind: UnitKind, parent_id: int | None, now: datetime) -> Unit:
        cur = await self._conn.execute(
            "INSERT INTO units (name, kind, parent_id, created_at) VALUES (?, ?, ?, ?)",
            (name, kind.value, parent_id, to_text(now)),
        )
        return Unit(id=cur.lastrowid, name=name, kind=kind, parent_id=parent_id)

    async def next_id(self) -> int:
        """The id the next unit takes (inside a write transaction: nobody else adds one)."""
        return await _next_id(self._conn, "units")

    async def add_many(self, units: Sequence[Unit], now: datetime) -> None:
        """Units with the ids the caller gave them (from `next_id`), parents first."""
        await self._conn.executemany(
            "INSERT INTO units (id, name, kind, parent_id, created_at) VALUES (?, ?, ?, ?, ?)",
            [(u.id, u.name, u.kind.value, u.parent_id, to_text(now)) for u in units],
        )

    async def all(self) -> dict[int, Unit]:
        async with self._conn.execute(
            "SELECT id, name, kind, parent_id FROM units ORDER BY id"
        ) as cur:
            rows = await cur.fetchall()
        return {r["id"]: _unit(r) for r in rows}

    async def by_ids(self, ids: set[int]) -> dict[int, Unit]:
        """These units (a page's items' own: fewer than all of them)."""
        if not ids:
            return {}
        async with self._conn.execute(
            "SELECT id, name, kind, parent_id FROM units "
            f"WHERE id IN ({','.join('?' * len(ids))})", tuple(ids)
        ) as cur:
            rows = await cur.fetchall()
        return {r["id"]: _unit(r) for r in rows}

    async def by_name(self, name: str) -> Unit | None:
        async with self._conn.execute(
            "SELECT id, name, kind, parent_id FROM units WHERE name = ?", (name,)
        ) as cur:
            row = await cur.fetchone()
        return _unit(row) if row else None


def _with_roles(row: sqlite3.Row, at: int = 0) -> Person:
    """A person from _WITH_ROLES's columns, the first of them at `at`."""
    roles, oversees = row[at + 4], row[at + 5]
    return Person(id=row[at], name=row[at + 1], unit_id=row[at + 2],
                  telegram_user_id=row[at + 3],
                  roles=frozenset(_ROLES[r] for r in roles.split(",")) if roles
                  else frozenset(),
                  oversees=frozenset(int(u) for u in oversees.split(",")) if oversees
                  else frozenset())


_ROLES = {r.value: r for r in Role}  # stored value -> member (calling the Enum costs more)


def _unit(row: sqlite3.Row) -> Unit:
    return Unit(id=row["id"], name=row["name"], kind=UnitKind(row["kind"]),
                parent_id=row["parent_id"])


_PERSON_COLUMNS = "id, name, unit_id, telegram_user_id"
# one person with their roles and 分管 units, comma-joined (group_concat: storage/postgres.py)
_WITH_ROLES = ("p.id, p.name, p.unit_id, p.telegram_user_id, "
               "(SELECT group_concat(role) FROM person_roles WHERE person_id = p.id), "
               "(SELECT group_concat(CAST(unit_id AS TEXT)) FROM person_oversight "
               "WHERE person_id = p.id)")
_ONE = f"SELECT {_WITH_ROLES} FROM persons p WHERE "
# whether an update was handled before, and the active person who sent it (if any)
_ARRIVAL = ("SELECT EXISTS (SELECT 1 FROM processed_updates WHERE update_id = ?), "
            f"{_WITH_ROLES} FROM (SELECT 1) AS one LEFT JOIN persons p "
            "ON p.telegram_user_id = ? AND p.active = 1 ORDER BY p.id LIMIT 1")


class PersonRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(
        self,
        name: str,
        unit_id: int,
        roles: frozenset[Role],
        oversees: frozenset[int],
        now: datetime,
    ) -> Person:
        cur = await self._conn.execute(
            "INSERT INTO persons (name, unit_id, created_at) VALUES (?, ?, ?)",
            (name, unit_id, to_text(now)),
        )
        person_id = cur.lastrowid
        await self._conn.executemany(
            "INSERT INTO person_roles (person_id, role) VALUES (?, ?)",
            [(person_id, r.value) for r in sorted(roles)],
        )
        await self._conn.executemany(
            "INSERT INTO person_oversight (person_id, unit_id) VALUES (?, ?)",
            [(person_id, u) for u in sorted(oversees)],
        )
        return Person(id=person_id, name=name, unit_id=unit_id, roles=roles, oversees=oversees)

    async def next_id(self) -> int:
        """The id the next person takes (inside a write transaction)."""
        return await _next_id(self._conn, "persons")

    async def add_many(self, people: Sequence[tuple[Person, str | None, str | None]],
                       now: datetime) -> None:
        """People with the ids the caller gave them (from `next_id`), each with their phone
        and note, roles and 分管: a few statements for any number of them."""
        at = to_text(now)
        await self._conn.executemany(
            "INSERT INTO persons (id, name, unit_id, phone, note, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(p.id, p.name, p.unit_id, phone, note, at) for p, phone, note in people],
        )
        await self.set_roles([p for p, _, _ in people], replace=False)

    async def set_roles(self, people: Sequence[Person], replace: bool = True) -> None:
        """Each person's roles and 分管 as given (`replace`: instead of those stored)."""
        ids = [(p.id,) for p in people]
        if replace:
            await self._conn.executemany("DELETE FROM person_roles WHERE person_id = ?", ids)
            await self._conn.executemany("DELETE FROM person_oversight WHERE person_id = ?",
                                         ids)
        await self._conn.executemany(
            "INSERT INTO person_roles (person_id, role) VALUES (?, ?)",
            [(p.id, r.value) for p in people for r in sorted(p.roles)],
        )
        await self._conn.executemany(
            "INSERT INTO person_oversight (person_id, unit_id) VALUES (?, ?)",
            [(p.id, u) for p in people for u in sorted(p.oversees)],
        )

    async def set_contacts(self, contacts: Sequence[tuple[int, str | None, str | None]]) -> None:
        """(person id, phone, note) for each."""
        await self._conn.executemany("UPDATE persons SET phone = ?, note = ? WHERE id = ?",
                                     [(phone, note, pid) for pid, phone, note in contacts])

    async def get(self, person_id: int) -> Person | None:
        return await self._one("p.id = ?", person_id)

    async def by_telegram_id(self, telegram_user_id: int) -> Person | None:
        return await self._one("p.telegram_user_id = ? AND p.active = 1", telegram_user_id)

    async def by_name(self, name: str) -> list[Person]:
        return await self._many(
            f"SELECT {_PERSON_COLUMNS} FROM persons WHERE name = ? AND active = 1 ORDER BY id",
            (name,),
        )

    async def by_name_in_unit(self, name: str, unit_id: int) -> Person | None:
        return await self._one("p.name = ? AND p.unit_id = ?", name, unit_id)

    async def all(self) -> dict[int, Person]:
        people = await self._many(
            f"SELECT {_PERSON_COLUMNS} FROM persons WHERE active = 1 ORDER BY id", (),
            everyone=True,
        )
        return {p.id: p for p in people}

    async def with_roles(self, roles: Iterable[Role]) -> dict[int, Person]:
        """Everyone who has not left and holds any of these roles (with all their roles
        and 分管), by id: the few who may decide something, not the whole organisation."""
        wanted = sorted(role.value for role in roles)
        people = await self._many(
            f"SELECT {_PERSON_COLUMNS} FROM persons WHERE active = 1 AND id IN "
            f"(SELECT person_id FROM person_roles WHERE role IN ({','.join('?' * len(wanted))}))"
            " ORDER BY id", tuple(wanted))
        return {p.id: p for p in people}

    async def directory(self) -> dict[int, Person]:
        """Everyone's name and unit only (no roles, 分管 or account): what a report names
        people by, read in one query — those who left (人员交接) too, whose history keeps
        their name."""
        async with self._conn.execute(
            "SELECT id, name, unit_id FROM persons ORDER BY id"
        ) as cur:
            rows = await cur.fetchall()
        return {r[0]: Person(id=r[0], name=r[1], unit_id=r[2], roles=frozenset()) for r in rows}

    async def by_ids(self, ids: set[int], active: bool = False) -> dict[int, Person]:
        """These people (`active`: those of them who have not left, as `all` reads)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        people = await self._many(
            f"SELECT {_PERSON_COLUMNS} FROM persons WHERE id IN ({marks})"
            + (" AND active = 1" if active else ""), tuple(ids)
        )
        return {p.id: p for p in people}

    async def handles(self, ids: set[int]) -> dict[int, dict[str, str]]:
        """How the messengers @-mention each of these people: Handle value -> id, for
        those set (手机号, 企业微信账号, 飞书ID)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        async with self._conn.execute(
            f"SELECT id, phone, wecom_userid, feishu_open_id FROM persons "
            f"WHERE id IN ({marks})", tuple(ids),
        ) as cur:
            rows = await cur.fetchall()
        return {r[0]: {h.value: value for h, value in zip(Handle, r[1:], strict=True) if value}
                for r in rows}

    async def set_handles(self, person_id: int, wecom_userid: str | None,
                          feishu_open_id: str | None) -> None:
        await self.set_handles_many([(person_id, wecom_userid, feishu_open_id)])

    async def set_handles_many(
            self, handles: Sequence[tuple[int, str | None, str | None]]) -> None:
        """(person id, 企业微信账号, 飞书ID) for each: one statement for any number."""
        await self._conn.executemany(
            "UPDATE persons SET wecom_userid = ?, feishu_open_id = ? WHERE id = ?",
            [(wecom, feishu, pid) for pid, wecom, feishu in handles])

    async def bind(self, person_id: int, telegram_user_id: int) -> None:
        await self._conn.execute(
            "UPDATE persons SET telegram_user_id = ? WHERE id = ?",
            (telegram_user_id, person_id),
        )

    async def _one(self, where: str, *params: object) -> Person | None:
        """The first person `where` finds, with roles and 分管 in the same statement (every
        update reads its sender so)."""
        async with self._conn.execute(_ONE + where + " ORDER BY p.id", params) as cur:
            row = await cur.fetchone()
        return _with_roles(row) if row is not None else None

    async def arrival(self, update_id: int, telegram_user_id: int) -> tuple[bool, Person | None]:
        """What every update is asked as it arrives, in one statement: whether it was
        handled before (processed_updates), and the active person who sent it."""
        async with self._conn.execute(_ARRIVAL, (update_id, telegram_user_id)) as cur:
            row = await cur.fetchone()
        return bool(row[0]), _with_roles(row, 1) if row[1] is not None else None

    async def mark_undeliverable(self, person_id: int, now: datetime) -> str:
        """Telegram refused delivery; returns since when (kept from the first refusal)."""
        async with self._conn.execute(
            "UPDATE persons SET undeliverable_since = COALESCE(undeliverable_since, ?) "
            "WHERE id = ? RETURNING undeliverable_since",
            (to_text(now), person_id),
        ) as cur:
            (since,) = await cur.fetchone()
        return since

    async def clear_undeliverable(self, person_id: int) -> None:
        await self._conn.execute(
            "UPDATE persons SET undeliverable_since = NULL WHERE id = ? "
            "AND undeliverable_since IS NOT NULL",
            (person_id,),
        )

    async def undeliverable(self) -> set[int]:
        async with self._conn.execute(
            "SELECT id FROM persons WHERE undeliverable_since IS NOT NULL"
        ) as cur:
            return {r[0] for r in await cur.fetchall()}

    async def _many(self, sql: str, params: tuple[object, ...],
                    everyone: bool = False) -> list[Person]:
        async with self._conn.execute(sql, params) as cur:
            rows = await cur.fetchall()
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        roles: dict[int, set[Role]] = defaultdict(set)
        oversees: dict[int, set[int]] = defaultdict(set)
        # everyone: read the whole tables rather than bind thousands of ids
        where, args = ("", []) if everyone else (
            f"WHERE person_id IN ({','.join('?' * len(ids))})", ids)
        async with self._conn.execute(
            f"SELECT person_id, role FROM person_roles {where}", args
        ) as cur:
            for r in await cur.fetchall():
                roles[r["person_id"]].add(Role(r["role"]))
        async with self._conn.execute(
            f"SELECT person_id, unit_id FROM person_oversight {where}", args
        ) as cur:
            for r in await cur.fetchall():
                oversees[r["person_id"]].add(r["unit_id"])
        return [
            Person(
                id=r["id"],
                name=r["name"],
                unit_id=r["unit_id"],
                roles=frozenset(roles[r["id"]]),
                oversees=frozenset(oversees[r["id"]]),
                telegram_user_id=r["telegram_user_id"],
            )
            for r in rows
        ]


class InviteRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, code: str, person_id: int, now: datetime, expires_at: datetime) -> Invite:
        await self._conn.execute(
            "INSERT INTO invites (code, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (code, person_id, to_text(now), to_text(expires_at)),
        )
        return Invite(code=code, person_id=person_id, expires_at=expires_at)

    async def add_many(self, codes: Sequence[tuple[str, int]], now: datetime,
                       expires_at: datetime) -> list[Invite]:
        """(code, person id) for each: invites made at one moment."""
        await self._conn.executemany(
            "INSERT INTO invites (code, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            [(code, pid, to_text(now), to_text(expires_at)) for code, pid in codes],
        )
        return [Invite(code=code, person_id=pid, expires_at=expires_at) for code, pid in codes]

    async def get(self, code: str) -> Invite | None:
        async with self._conn.execute(
            "SELECT code, person_id, expires_at, used_at, revoked_at FROM invites WHERE code = ?",
            (code,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return Invite(
            code=row["code"],
            person_id=row["person_id"],
            expires_at=to_datetime(row["expires_at"]),
            used_at=to_datetime(row["used_at"]),
            revoked_at=to_datetime(row["revoked_at"]),
        )

    async def mark_used(self, code: str, telegram_user_id: int, now: datetime) -> None:
        await self._conn.execute(
            "UPDATE invites SET used_at = ?, used_by_telegram_id = ? WHERE code = ?",
            (to_text(now), telegram_user_id, code),
        )

    async def revoke_open(self, person_id: int, now: datetime) -> int:
        """Revoke the person's unused invites; returns how many."""
        cur = await self._conn.execute(
            "UPDATE invites SET revoked_at = ? "
            "WHERE person_id = ? AND used_at IS NULL AND revoked_at IS NULL",
            (to_text(now), person_id),
        )
        return cur.rowcount


async def _next_id(conn: aiosqlite.Connection, table: str) -> int:
    async with conn.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}") as cur:
        (next_id,) = await cur.fetchone()
    return next_id
