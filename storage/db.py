"""The SQLite database: one writing connection, a few reading ones, WAL, migrations,
units of work.

One connection is one queue, so every write goes through a lock: a write transaction
never interleaves with another handler's statements. Reads run on connections of their
own (WAL lets them), so they never queue behind a write.

An inbound update is handled inside `one_update()`: every transaction in it joins one
SQLite transaction (each a savepoint, so a refusal undoes only its own part), committed
once the update's answers are queued too — the change, the "done" mark and the answers
land together or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

import aiosqlite

from storage.at_once import AtOnce, run_at_once
from storage.board import BoardRepo
from storage.cases import CaseRepo
from storage.channels import ChannelRepo
from storage.chats import ConversationRepo, GroupRepo, UpdateRepo
from storage.connect import closed_on_failure
from storage.decisions import DecisionRepo
from storage.delegations import DelegationRepo
from storage.events import EventRepo
from storage.extensions import ExtensionRepo
from storage.handover import HandoverRepo
from storage.imports import ImportRepo
from storage.inbox import InboxStore, inbox_path
from storage.inline import Elsewhere, InlineReader
from storage.inspections import InspectionRepo
from storage.items import ItemRepo
from storage.letters import LetterRepo
from storage.obligations import ObligationRepo, PolicyRepo
from storage.outbox import OutboxRepo
from storage.people import InviteRepo, PersonRepo, UnitRepo
from storage.reminders import ReminderRepo
from storage.state import StateRepo
from storage.summary import SummaryRepo
from storage.tables import TableRepo
from storage.talks import TalkRepo

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
READERS = 3  # reading connections, opened as needed
# Past this size the WAL is copied back into the database file (SQLite's own default is
# 1 000 pages, 4 MB) — beside the writes, on a reader's thread, not inside the commit
# that crossed it: a commit that did it waited some 35 ms more (a planning tick, or the
# tap of whoever came next), the copy and its fsync.
CHECKPOINT_BYTES = 4 * 1024 * 1024


class DatabaseUnreachable(Exception):
    """The database server (PostgreSQL) could not be reached or refused the login; the
    message is the driver's first line, without the password."""


class _Repo(Generic[R]):
    """A repository of a Tx, made on first use (a read uses two or three of them)."""

    def __init__(self, repo: Callable[[Any], R]) -> None:
        self.repo = repo

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, tx: None, owner: type) -> _Repo[R]: ...

    @overload
    def __get__(self, tx: Tx, owner: type) -> R: ...

    def __get__(self, tx: Tx | None, owner: type) -> R | _Repo[R]:
        if tx is None:
            return self
        made = tx.__dict__[self.name] = self.repo(tx.conn)  # found there from now on
        return made


class Tx:
    """A unit of work: the repositories, all on one transaction."""

    units = _Repo(UnitRepo)
    persons = _Repo(PersonRepo)
    invites = _Repo(InviteRepo)
    groups = _Repo(GroupRepo)
    items = _Repo(ItemRepo)
    events = _Repo(EventRepo)
    conversations = _Repo(ConversationRepo)
    updates = _Repo(UpdateRepo)
    obligations = _Repo(ObligationRepo)
    policy = _Repo(PolicyRepo)
    reminders = _Repo(ReminderRepo)
    outbox = _Repo(OutboxRepo)
    extensions = _Repo(ExtensionRepo)
    talks = _Repo(TalkRepo)
    imports = _Repo(ImportRepo)
    summary = _Repo(SummaryRepo)
    channels = _Repo(ChannelRepo)
    cases = _Repo(CaseRepo)
    letters = _Repo(LetterRepo)
    decisions = _Repo(DecisionRepo)  # decisions waiting on someone (issue 22 §6)
    delegations = _Repo(DelegationRepo)
    inspections = _Repo(InspectionRepo)
    state = _Repo(StateRepo)  # the webhook's secret, the last tick (issue 23)
    tables = _Repo(TableRepo)  # the tables as tables, for copy-db (issue 23)
    board = _Repo(BoardRepo)  # the 纪委 看板's links, sessions, figures (issue 24)
    handover = _Repo(HandoverRepo)  # 人员交接 (issue 24 §5)

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn


def migration_scripts() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every file in storage/migrations, in order."""
    folder = resources.files("storage") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, name = entry.name.removesuffix(".sql").partition("_")
            scripts.append((int(number), name, entry.read_text(encoding="utf-8")))
    return sorted(scripts)


class UpdateScope:
    """The unit of work of one inbound update (see the module docstring). The write lock is
    held from the first write to `commit()` or `rollback()`: keep what runs in between short
    (no network, no heavy work)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.open = False  # a transaction is begun and the write lock held
        self.depth = 0  # savepoints in use
        self.over = False  # the update is done with: nothing may write in its name

    async def commit(self) -> None:
        if self.open:
            try:
                await self.db._commit()
            finally:
                self._close()

    async def rollback(self) -> None:
        """Undo everything this update wrote so far (an unexpected error)."""
        if self.open:
            try:
                await asyncio.shield(self.db._undo())
            finally:
                self._close()

    def _close(self) -> None:
        self.open = False
        self.db._lock.release()


async def _end(conn: aiosqlite.Connection) -> None:
    """ROLLBACK, queued behind whatever the connection's thread still has to run (a BEGIN
    whose caller was cancelled); none begun, or SQLite ended it already: nothing to do."""
    with contextlib.suppress(sqlite3.OperationalError):
        await conn.execute("ROLLBACK")


_scope: ContextVar[UpdateScope | None] = ContextVar("dutybot_update_scope", default=None)


class Database:
    engine = "sqlite"  # or "postgresql" (storage/postgres.py)

    def __init__(self, conn: aiosqlite.Connection, path: Path | None = None) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path  # the file, for readers on their own connection (the export)
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._opened: list[aiosqlite.Connection] = []
        self._inline = InlineReader(path) if path is not None else None
        self._checkpoint: asyncio.Task[None] | None = None
        self._inbox: InboxStore | None = None
        self._inbox_opening = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """The SQLite file at `path`, or the PostgreSQL server a `postgresql://` URL names
        (storage/postgres.py)."""
        if isinstance(path, str) and path.startswith(("postgresql://", "postgres://")):
            from storage.postgres import PgDatabase

            return await PgDatabase.open(path)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        async with closed_on_failure(conn):
            conn.row_factory = sqlite3.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            # checkpoints are done beside the writes (_written); the WAL file is cut back
            # when a write starts it over, so that its size says what waits to be copied
            await conn.execute("PRAGMA wal_autocheckpoint = 0")
            await conn.execute("PRAGMA journal_size_limit = 0")
        return cls(conn, None if str(path) == ":memory:" else Path(path))

    async def close(self) -> None:
        if self._checkpoint is not None:  # let it finish: closing the last connection
            await asyncio.shield(self._checkpoint)  # checkpoints whatever is left anyway
        if self._inline is not None:
            self._inline.close()
        for reader in self._opened:
            await reader.close()
        self._opened.clear()
        if self._inbox is not None:
            await self._inbox.close()
            self._inbox = None
        await self._conn.close()

    async def inbox(self) -> InboxStore:
        """The inbox file beside the database (storage/inbox.py), opened when first
        needed: only a running bot receives updates.

        Opened once, whoever asks first: at start-up the poller, the dispatcher and the
        clockwork's tick all ask at the same moment, and each opening its own connection
        would have them switch the new file to WAL at once ("database is locked", which no
        busy timeout waits out) and leave the extra connections, and their threads, open."""
        async with self._inbox_opening:
            if self._inbox is None:
                self._inbox = await InboxStore.open(
                    ":memory:" if self.path is None else inbox_path(self.path))
            return self._inbox

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
    async def one_update(self) -> AsyncIterator[UpdateScope]:
        """Handle one inbound update inside: its transactions become one, which the
        caller commits with `scope.commit()`; left uncommitted, it is rolled back."""
        scope = UpdateScope(self)
        token = _scope.set(scope)
        try:
            yield scope
        finally:
            _scope.reset(token)
            scope.over = True
            await scope.rollback()

    def written_in_update(self) -> bool:
        """Whether the update being handled has written anything yet."""
        scope = self._scope()
        return scope is not None and scope.open

    def _scope(self) -> UpdateScope | None:
        scope = _scope.get()
        return scope if scope is not None and scope.db is self else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Everything inside commits together or not at all."""
        scope = self._scope()
        if scope is not None:
            async with self._savepoint(scope) as tx:
                yield tx
            return
        async with self._lock:
            await self._begin()
            try:
                yield Tx(self._in_transaction())
            except BaseException:
                await self._undo()
                raise
            else:
                await self._commit()

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE (the lock held). Cancelled or failed while it waits (another
        process is writing), the statement may still run on the connection's thread later:
        a ROLLBACK queued behind it undoes it, so no transaction is left that nobody owns."""
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            await asyncio.shield(self._undo())
            raise

    async def _commit(self) -> None:
        """COMMIT; one that fails (a full disk, a deferred constraint) leaves SQLite inside
        the transaction: it is rolled back before the lock goes."""
        try:
            await self._conn.execute("COMMIT")
        except BaseException:
            await asyncio.shield(self._undo())
            raise
        self._written()

    def _written(self) -> None:
        """After a commit: a WAL past CHECKPOINT_BYTES is copied back into the database
        file by a task of its own (one at a time), on a reader's connection and thread."""
        if self.path is None or self._checkpoint is not None:
            return
        try:
            size = Path(f"{self.path}-wal").stat().st_size
        except OSError:
            return
        if size >= CHECKPOINT_BYTES:
            # a context of its own: it is nobody's update (nor counted as one's round trips)
            self._checkpoint = asyncio.get_running_loop().create_task(
                self._checkpointed(), context=contextvars.Context())

    async def _checkpointed(self) -> None:
        try:
            conn = await self._reader()
            try:  # PASSIVE: copies what no reader still needs, never waits for anyone
                await conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                self._readers.put_nowait(conn)
        except Exception:  # the next commit past the size tries again
            log.warning("could not checkpoint the database's WAL", exc_info=True)
        finally:
            self._checkpoint = None

    async def _undo(self) -> None:
        await _end(self._conn)

    @asynccontextmanager
    async def _savepoint(self, scope: UpdateScope) -> AsyncIterator[Tx]:
        if scope.over:  # a task started inside a handler outlived its update
            raise RuntimeError("a write in the name of an update already handled")
        if not scope.open:
            await self._lock.acquire()
            try:
                await self._begin()
            except BaseException:
                self._lock.release()
                raise
            scope.open = True
        conn = self._in_transaction()
        name = f"update_{scope.depth}"
        scope.depth += 1
        try:  # the standard words: SQLite and PostgreSQL both take them
            await self._execute_bare(f"SAVEPOINT {name}")
            try:
                yield Tx(conn)
            except BaseException:
                if scope.open:
                    await self._execute_bare(f"ROLLBACK TO SAVEPOINT {name}")
                    await self._execute_bare(f"RELEASE SAVEPOINT {name}")
                raise
            else:
                await self._execute_bare(f"RELEASE SAVEPOINT {name}")
        finally:
            scope.depth -= 1

    def _in_transaction(self) -> Any:
        """The connection a begun transaction writes through (an update's or its own)."""
        return self._conn

    async def _execute_bare(self, sql: str) -> None:
        """A statement of the transaction's own (SAVEPOINT, RELEASE), on the writing
        connection as the engine has it."""
        await self._conn.execute(sql)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A consistent snapshot for reading: on a reading connection of its own, or,
        inside an update that has written, in that update's transaction (it sees its own
        writes)."""
        scope = self._scope()
        if scope is not None and scope.open:
            yield Tx(self._conn)
            return
        if self.path is None:  # an in-memory database has no second connection
            async with self._lock:
                await self._conn.execute("BEGIN")
                try:
                    yield Tx(self._conn)
                finally:
                    await self._conn.execute("ROLLBACK")
            return
        conn = await self._reader()
        try:
            await conn.execute("BEGIN")
            yield Tx(conn)
        finally:  # even after a cancel: never back to the pool inside a transaction
            await asyncio.shield(_end(conn))
            self._readers.put_nowait(conn)

    async def read_at_once(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """`async with db.read() as tx: return await fn(tx)`, in one go instead of one round
        trip to a connection's thread per statement, fetch and cursor (storage/at_once.py):
        for the reads a person waits on. `fn` may await nothing but tx's repositories. Done
        on the event loop's own thread when it is short (storage/inline.py), else in one
        hop to a reader's thread."""

        def body(conn: AtOnce) -> Awaitable[T]:
            return fn(Tx(conn))  # type: ignore[arg-type]

        scope = self._scope()
        if scope is not None and scope.open:  # inside the update's transaction: its writes
            return await run_at_once(self._conn, body)
        read = {"before": ("BEGIN",), "after": ("ROLLBACK",), "undo": ("ROLLBACK",)}
        if self._inline is None:  # an in-memory database has no second connection
            async with self._lock:
                return await run_at_once(self._conn, body, **read)
        try:  # most take less than a hop to a reader's thread would (storage/inline.py)
            return self._inline.read(body)
        except Elsewhere:  # too long for the event loop, or the file locked: a thread
            pass
        conn = await self._reader()
        try:
            return await run_at_once(conn, body, **read)
        finally:  # cancelled meanwhile, the thread still ends the read before the next one
            self._readers.put_nowait(conn)

    async def transaction_at_once(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """`async with db.transaction() as tx: return await fn(tx)`, in one round trip to
        the connection's thread (BEGIN, the statements and COMMIT, or inside an update its
        savepoint, all in one): for the writes a person waits on. `fn` may await nothing
        but tx's repositories; an error it raises undoes what it wrote, as `transaction`."""

        def body(conn: AtOnce) -> Awaitable[T]:
            return fn(Tx(conn))  # type: ignore[arg-type]

        scope = self._scope()
        if scope is None:
            async with self._lock:
                result = await run_at_once(self._conn, body, ("BEGIN IMMEDIATE",),
                                           ("COMMIT",), ("ROLLBACK",))
            self._written()
            return result
        if scope.over:  # a task started inside a handler outlived its update
            raise RuntimeError("a write in the name of an update already handled")
        name = f"update_{scope.depth}"
        savepoint = ((f"SAVEPOINT {name}",), (f"RELEASE {name}",),
                     (f"ROLLBACK TO {name}", f"RELEASE {name}"))
        scope.depth += 1
        try:
            if scope.open:
                return await run_at_once(self._conn, body, *savepoint)
            await self._lock.acquire()  # the update's transaction begins with this write
            try:
                result = await run_at_once(self._conn, body, ("BEGIN IMMEDIATE",) + savepoint[0],
                                           *savepoint[1:])
            except asyncio.CancelledError:
                await asyncio.shield(self._undo())  # whatever the thread got to: undone
                self._lock.release()
                raise
            except BaseException:
                if self._conn.in_transaction:  # begun: the update holds it, as `_savepoint`
                    scope.open = True
                else:
                    self._lock.release()
                raise
            scope.open = True
            return result
        finally:
            scope.depth -= 1

    async def _reader(self) -> aiosqlite.Connection:
        if self._readers.empty() and len(self._opened) < READERS:
            conn = await aiosqlite.connect(str(self.path), isolation_level=None)
            async with closed_on_failure(conn):
                conn.row_factory = sqlite3.Row
                await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                await conn.execute("PRAGMA query_only = ON")
            self._opened.append(conn)
            return conn
        return await self._readers.get()
