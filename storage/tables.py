"""The database's tables as tables, for `dutybot copy-db` (issue 23 §2): their names in
the order their foreign keys need, their columns, their rows and their counts, on either
engine (the dialect decides the catalogue queries, here only).

Table and column names come from the database's own catalogue, never from a person; they
are still checked to be plain identifiers before they stand in a statement (a name cannot
be a parameter)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import aiosqlite

#: Not the office's data: the schema version (PostgreSQL's table; SQLite's is a pragma),
#: SQLite's own, the durable inbox (updates in flight; on SQLite a file of its own), and
#: the send times several processes share for Telegram's flood limits (storage/workers.py).
NOT_COPIED = frozenset({"dutybot_schema", "inbox", "send_times"})

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def _name(text: str) -> str:
    if not _NAME.match(text):
        raise ValueError(f"not a plain identifier: {text!r}")
    return text


class TableRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._pg = getattr(conn, "dialect", "sqlite") == "postgresql"

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._conn.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def names(self) -> list[str]:
        """Every table of ours, a table after the tables its foreign keys point to (by
        name within a level, so the order is the same on both engines)."""
        if self._pg:
            tables = [r[0] for r in await self._all(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")]
            edges = [(r[0], r[1]) for r in await self._all(
                "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text "
                "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                "WHERE c.contype = 'f' AND n.nspname = current_schema()")]
        else:
            tables = [r[0] for r in await self._all(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'")]
            edges = []
            for table in tables:
                edges += [(table, r[2]) for r in await self._all(
                    f"PRAGMA foreign_key_list({_name(table)})")]
        tables = sorted(t for t in tables if t not in NOT_COPIED)
        needs = {t: {to for frm, to in edges if frm == t and to != t} for t in tables}
        ordered: list[str] = []
        while len(ordered) < len(tables):
            ready = [t for t in tables if t not in ordered and needs[t] <= set(ordered)]
            if not ready:  # a cycle (none in our schema): the rest in name order
                ready = [t for t in tables if t not in ordered]
            ordered += ready
        return ordered

    async def columns(self, table: str) -> list[str]:
        """Its columns; on SQLite a table whose rows are known by the implicit rowid (no
        INTEGER PRIMARY KEY of its own) has `rowid` too, as PostgreSQL has it as a column."""
        if self._pg:
            return [r[0] for r in await self._all(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ? "
                "ORDER BY ordinal_position", (table,))]
        info = await self._all(f"PRAGMA table_info({_name(table)})")
        names = [r[1] for r in info]
        own_key = [r for r in info if r[5]]
        (sql,) = (await self._all("SELECT sql FROM sqlite_master WHERE name = ?", (table,)))[0]
        rowid_table = "WITHOUT ROWID" not in (sql or "").upper()
        if rowid_table and not (len(own_key) == 1 and own_key[0][2].upper() == "INTEGER"):
            names.insert(0, "rowid")
        return names

    async def self_references(self, table: str) -> list[str]:
        """Its columns that point at its own rows (a unit's parent): those rows go in after
        the rows they point at."""
        if self._pg:
            return [r[0] for r in await self._all(
                "SELECT a.attname FROM pg_constraint c "
                "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
                "WHERE c.contype = 'f' AND c.conrelid = c.confrelid "
                "AND c.conrelid = ?::regclass", (table,))]
        return [r[3] for r in await self._all(f"PRAGMA foreign_key_list({_name(table)})")
                if r[2] == table]

    async def rows(self, table: str, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        """Every row, those columns, by the first (the id, where there is one)."""
        names = ", ".join(_name(c) for c in columns)
        return [tuple(r) for r in await self._all(
            f"SELECT {names} FROM {_name(table)} ORDER BY {_name(columns[0])}")]

    async def insert(self, table: str, columns: Sequence[str],
                     rows: Sequence[Sequence[Any]]) -> None:
        """The rows as they are, ids included (on PostgreSQL the identity's sequence is
        then moved past them: storage/postgres.py)."""
        if not rows:
            return
        names = ", ".join(_name(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        await self._conn.executemany(
            f"INSERT INTO {_name(table)} ({names}) VALUES ({marks})", rows)

    async def count(self, table: str) -> int:
        return int((await self._all(f"SELECT COUNT(*) FROM {_name(table)}"))[0][0])
