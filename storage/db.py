"""The SQLite database: one aiosqlite connection, WAL, migrations, a unit of work.

One connection is one queue, so every access goes through a lock: a write
transaction never interleaves with another handler's statements.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

from storage.chats import ConversationRepo, GroupRepo, UpdateRepo
from storage.events import EventRepo
from storage.extensions import ExtensionRepo
from storage.imports import ImportRepo
from storage.items import ItemRepo
from storage.obligations import ObligationRepo, PolicyRepo
from storage.outbox import OutboxRepo
from storage.people import InviteRepo, PersonRepo, UnitRepo
from storage.reminders import ReminderRepo
from storage.summary import SummaryRepo
from storage.talks import TalkRepo

BUSY_TIMEOUT_MS = 5000


class Tx:
    """A unit of work: the repositories, all on one transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.units = UnitRepo(conn)
        self.persons = PersonRepo(conn)
        self.invites = InviteRepo(conn)
        self.groups = GroupRepo(conn)
        self.items = ItemRepo(conn)
        self.events = EventRepo(conn)
        self.conversations = ConversationRepo(conn)
        self.updates = UpdateRepo(conn)
        self.obligations = ObligationRepo(conn)
        self.policy = PolicyRepo(conn)
        self.reminders = ReminderRepo(conn)
        self.outbox = OutboxRepo(conn)
        self.extensions = ExtensionRepo(conn)
        self.talks = TalkRepo(conn)
        self.imports = ImportRepo(conn)
        self.summary = SummaryRepo(conn)


def migration_scripts() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every file in storage/migrations, in order."""
    folder = resources.files("storage") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, name = entry.name.removesuffix(".sql").partition("_")
            scripts.append((int(number), name, entry.read_text(encoding="utf-8")))
    return sorted(scripts)


class Database:
    def __init__(self, conn: aiosqlite.Connection, path: Path | None = None) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path  # the file, for readers on their own connection (the export)

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = sqlite3.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA synchronous = NORMAL")
        return cls(conn, Path(path))

    async def close(self) -> None:
        await self._conn.close()

    async def schema_version(self) -> int:
        async with self._conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0])

    async def migrate(self) -> list[int]:
        """Apply the migrations this file lacks; each one with its version bump atomically."""
        applied = []
        async with self._lock:
            current = await self.schema_version()
            for version, _name, sql in migration_scripts():
                if version <= current:
                    continue
                script = f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
                try:
                    await self._conn.executescript(script)
                except Exception:
                    if self._conn.in_transaction:
                        await self._conn.execute("ROLLBACK")
                    raise
                applied.append(version)
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Everything inside commits together or not at all."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._conn)
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            else:
                await self._conn.execute("COMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A consistent snapshot for reading."""
        async with self._lock:
            await self._conn.execute("BEGIN")
            try:
                yield Tx(self._conn)
            finally:
                await self._conn.execute("ROLLBACK")
