"""PostgreSQL, the second engine behind the storage layer (issue 23 §2), chosen at start-up
by `DUTYBOT_DATABASE_URL=postgresql://…`; without it SQLite is used exactly as before.

The seam, and why it is this small
----------------------------------
Every repository in storage/ talks to its connection through four things only: `execute`
(awaited, or used as `async with … as cur`), `executemany`, a cursor's
`fetchone`/`fetchall`/`rowcount`/`lastrowid`, and rows read by index or by column name
(sqlite3.Row). `PgConnection` below offers exactly that over a psycopg 3 async connection,
so the repositories keep one text of SQL for both engines and `Tx` is built the same way.
The dialect difference lives here, in one place:

- placeholders: `?` becomes `%s` (and a literal `%` becomes `%%`), outside quoted text;
- `INSERT OR IGNORE INTO` becomes `INSERT INTO … ON CONFLICT DO NOTHING`;
- `a IS NOT b` / `a IS b` between two values becomes `IS [NOT] DISTINCT FROM`;
- `lastrowid`: an INSERT into a table with an identity column (`id`, or `rowid` where the
  SQLite text used the implicit rowid: robot_sends, case_parties) gets `RETURNING` it;
  an INSERT that gives the ids itself (the imports' `next_id` + `add_many`) moves the
  identity's sequence past them afterwards, as SQLite's `INTEGER PRIMARY KEY` would;
- parameters are sent untyped (`unknown`), so PostgreSQL types them from where they stand,
  as loosely as SQLite does (an int compared with a TEXT column, '1' into an INTEGER);
  bools go as 1/0 (the schema keeps SQLite's 0/1 INTEGER flags); `numeric` results (SUM
  of a BIGINT) come back as int, as SQLite gives them;
- what SQLite has built in and PostgreSQL lacks is defined by the first PostgreSQL
  migration as SQL functions: `json_extract(text, '$.key')`, `group_concat(text)`,
  `instr(text, text)`, and `sum(boolean)` (SQLite sums comparisons as 0/1).

Where the SQL truly differs (DDL, triggers, the schema version) the PostgreSQL text is its
own: `storage/migrations/postgres/NNNN_*.sql`, the same numbers as the SQLite ones, and
`dutybot_schema` in place of `PRAGMA user_version`. Two things a repository must still
write portably (both engines accept them): qualify a column of the target table in
`ON CONFLICT … DO UPDATE SET` (`t.n + excluded.n`), and group by every column it selects.
PostgreSQL sorts NULLs last, SQLite first: a query whose order matters with NULLs says so.
The database should be created with `LC_COLLATE 'C'` (or `initdb --locale=C`), so text
sorts by code point as SQLite's does (names in Chinese included).

Transactions keep the SQLite design: one writing connection and one write transaction at
a time in this process (the lock), BEGIN … COMMIT, savepoints inside an update's scope;
reads on a pool of connections of their own (psycopg_pool), each a REPEATABLE READ READ
ONLY snapshot. `PgConnection.dialect` lets a repository choose a per-dialect snippet where
one text cannot serve (e.g. `FOR UPDATE SKIP LOCKED`, which SQLite lacks). The durable
inbox is a table in the same database (storage/inbox.py's InboxStore on a connection of
its own).

Several processes on one database (issue 23 §3)
-----------------------------------------------
Any number of `dutybot run` processes may share one PostgreSQL. What makes that safe:

- one writer at a time across processes, as within one: every write transaction takes
  `pg_advisory_xact_lock(WRITE_LOCK)` right after BEGIN (held to its COMMIT). Chosen over
  moving ids to RETURNING because it keeps every repository exactly as SQLite runs it —
  ids as MAX(id) + 1 (`items.add`, the imports' `next_id`), `outbox.add_many` reading back
  the rows past the highest id, read-then-write checks inside one transaction — correct
  with no second look at each; a write transaction is milliseconds (the long work, an
  import's parsing or the 台账, is done outside it), so the cost is small. Reads never
  take it. `migrate` has its own lock, so two processes never migrate at once;
- one leader (storage/workers.py Leadership, bot/leader.py): a session-level advisory
  lock on a connection of its own, tried about every second by the others; it alone
  plans, polls getUpdates or sets the webhook, takes the daily backup and pushes to the
  group robots. Every `run` also holds a run lock shared, which `copy-db` takes exclusive;
- inbox rows claimed (storage/inbox.py `claim`): an UPDATE … RETURNING over a
  `FOR UPDATE SKIP LOCKED` sub-select sets `claimed_by`/`claimed_until` (a lease, renewed
  while the update is in hand). A lease rather than a row lock held for the handling:
  the handling runs in other transactions (its change, then its answers sent), so a lock
  would have to outlive them on a connection of its own; a lease needs no connection,
  survives nothing it should not (a killed worker's runs out, and another takes the
  update: `processed_updates`, written with the change, says whether it was applied),
  and can be read. Only a lane's (a chat's) earliest unhandled update is claimable, so a
  chat's updates go one after another whichever process handles them;
- outbox messages claimed the same way (storage/outbox.py `claim_next`, `claim_ids`;
  migration 0017), one in flight per chat, the claim renewed while its process lives (a
  send may wait out a group's minute in the rate limiter) and ended with the send's
  outcome. An update's answers are claimed by its handler in the transaction that queues
  them (on SQLite they are held back two minutes instead), so a killed handler's answers
  go out once its lease runs out, from any process;
- Telegram's flood windows in the database (storage/workers.py SendWindows: send times
  read and noted under an advisory lock of their own), so 27/s per bot (29 for one
  process on SQLite: room for the jitter between processes), 3 in 3 s per chat and 20 a
  minute per group hold across processes.

Why psycopg 3 (and not asyncpg): its adaptation is pluggable per connection (dumpers,
loaders, row factories), which is what lets one small adapter give the repositories
SQLite's loose typing and sqlite3.Row; it runs a migration's many statements in one call;
and psycopg_pool is its own, maintained with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import urlsplit

import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg_pool import AsyncConnectionPool

from storage.db import Database, DatabaseUnreachable, Tx
from storage.inbox import InboxStore

T = TypeVar("T")

READERS = 4  # pooled reading connections; the writer and the inbox have one each
CONNECT_TIMEOUT_S = 10
MIGRATION_LOCK = 0x64757479  # pg_advisory_xact_lock key while migrating ("duty")
LOCK_TIMEOUT_MS = 10_000  # the most a connection's own schema waits for a lock
WRITE_LOCK = 0x77726974  # pg_advisory_xact_lock key of every write transaction ("writ")


# --- values in and out -----------------------------------------------------------------

class _Untyped(Dumper):
    """A parameter sent as text of type `unknown`: the server types it from its place."""

    oid = 0

    def dump(self, obj: Any) -> bytes:
        return str(obj).encode()


class _Flag(_Untyped):
    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class _Number(Loader):
    """numeric (a SUM of BIGINTs, an AVG) as SQLite gives it: an int when whole."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        if "." in text or "e" in text.lower() or text in ("NaN", "Infinity", "-Infinity"):
            return float(text)
        return int(text)


class Row(tuple):
    """A result row read by index or by column name, as sqlite3.Row is."""

    _index: dict[str, int]

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: Any) -> Any:
    names = [c.name for c in cursor.description or ()]
    index = {name: i for i, name in enumerate(names)}

    def make(values: Sequence[Any]) -> Row:
        row = Row(values)
        row._index = index
        return row

    return make


async def _configure(conn: psycopg.AsyncConnection) -> None:
    for kind in (int, float, str):
        conn.adapters.register_dumper(kind, _Untyped)
    conn.adapters.register_dumper(bool, _Flag)
    conn.adapters.register_loader("numeric", _Number)
    conn.row_factory = _row_factory


# --- the dialect, in one place ----------------------------------------------------------

_INSERT = re.compile(r"^\s*INSERT\s+(OR\s+IGNORE\s+)?INTO\s+(\w+)\s*(\(([^)]*)\))?", re.I)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)
# SQLite's `a IS NOT b` / `a IS b` between values (not NULL): PostgreSQL's DISTINCT FROM
_IS_NOT = re.compile(r"\bIS\s+NOT\s+(?!NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.I)
_IS = re.compile(r"\bIS\s+(?!NOT\b|NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.I)


def _placeholders(sql: str) -> str:
    """`?` → `%s` and `%` → `%%`, leaving quoted text's `?` alone."""
    out, quote = [], None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
            out.append("%%" if ch == "%" else ch)
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


class _Statement:
    """One SQLite-flavoured statement as PostgreSQL runs it."""

    __slots__ = ("bump", "query", "returning", "table")

    def __init__(self, sql: str, keys: dict[str, str], many: bool) -> None:
        text = sql.strip().rstrip(";")
        self.table: str | None = None
        self.returning: str | None = None  # the key column RETURNING was added for
        self.bump: str | None = None  # the key column the caller gave values for
        if re.fullmatch(r"BEGIN\s+(IMMEDIATE|DEFERRED|EXCLUSIVE)", text, re.I):
            text = "BEGIN"
        insert = _INSERT.match(text)
        if insert:
            self.table = insert.group(2).lower()
            key = keys.get(self.table)
            columns = [c.strip().lower() for c in (insert.group(4) or "").split(",")]
            if insert.group(1):  # OR IGNORE
                text = text[: insert.start(1)] + text[insert.end(1):]
                text = _before_returning(text, " ON CONFLICT DO NOTHING")
            if key and key in columns:
                self.bump = key
            elif key and not many and not _RETURNING.search(text):
                text += f" RETURNING {key}"
                self.returning = key
        text = _IS_NOT.sub("IS DISTINCT FROM ", text)
        text = _IS.sub("IS NOT DISTINCT FROM ", text)
        self.query = _placeholders(text)


def _before_returning(text: str, clause: str) -> str:
    found = _RETURNING.search(text)
    if found is None:
        return text + clause
    return text[: found.start()].rstrip() + clause + " " + text[found.start():]


class Cursor:
    """What a statement gave: its rows, `rowcount` and `lastrowid` (aiosqlite's shape)."""

    def __init__(self, rows: list[Row], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self._at = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> Row | None:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    async def fetchall(self) -> list[Row]:
        rows, self._at = self._rows[self._at:], len(self._rows)
        return rows

    async def fetchmany(self, size: int) -> list[Row]:
        rows = self._rows[self._at:self._at + size]
        self._at += len(rows)
        return rows

    def __aiter__(self) -> AsyncIterator[Row]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Row]:
        while (row := await self.fetchone()) is not None:
            yield row

    async def close(self) -> None:
        return None


class _Result:
    """`await conn.execute(…)` or `async with conn.execute(…) as cur`, as in aiosqlite."""

    def __init__(self, run: Any) -> None:
        self._run = run
        self._cursor: Cursor | None = None

    def __await__(self) -> Any:
        return self._run().__await__()

    async def __aenter__(self) -> Cursor:
        self._cursor = await self._run()
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        return None

    def __aiter__(self) -> AsyncIterator[Row]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Row]:
        cursor = await self._run()
        async for row in cursor:
            yield row


class PgConnection:
    """The connection protocol the repositories use, over one psycopg connection."""

    dialect = "postgresql"  # an aiosqlite connection has none: getattr(conn, "dialect", …)

    def __init__(self, conn: psycopg.AsyncConnection, keys: dict[str, str],
                 statements: dict[tuple[str, bool], _Statement]) -> None:
        self.raw = conn
        self._keys = keys  # table → its identity column
        self._statements = statements  # translated once per text

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def _statement(self, sql: str, many: bool) -> _Statement:
        found = self._statements.get((sql, many))
        if found is None:
            found = self._statements[(sql, many)] = _Statement(sql, self._keys, many)
        return found

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> _Result:
        return _Result(lambda: self._execute(sql, tuple(params or ())))

    async def _execute(self, sql: str, params: tuple[Any, ...]) -> Cursor:
        stmt = self._statement(sql, many=False)
        async with self.raw.cursor() as cur:
            await cur.execute(stmt.query, params)
            rows = await cur.fetchall() if cur.description is not None else []
            rowcount = cur.rowcount
        lastrowid = None
        if stmt.returning is not None:
            lastrowid = rows[-1][0] if rows else None
            rows = []
        if stmt.bump is not None:
            await self._bump(stmt.table, stmt.bump)
        return Cursor(rows, rowcount, lastrowid)

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> Cursor:
        stmt = self._statement(sql, many=True)
        rows = [tuple(p) for p in seq]
        if not rows:
            return Cursor([], 0, None)
        async with self.raw.cursor() as cur:
            await cur.executemany(stmt.query, rows)
            rowcount = cur.rowcount
        if stmt.bump is not None:
            await self._bump(stmt.table, stmt.bump)
        return Cursor([], rowcount, None)

    async def _bump(self, table: str | None, key: str) -> None:
        """Ids given by the caller: the next one made here comes after them."""
        await self.raw.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), "
            f"GREATEST((SELECT MAX({key}) FROM {table}), 1))")

    async def executescript(self, sql: str) -> None:
        await self.raw.execute(sql)

    async def close(self) -> None:
        await self.raw.close()


# --- the database ---------------------------------------------------------------------

def pg_migration_scripts() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every file in storage/migrations/postgres, in order."""
    folder = resources.files("storage") / "migrations" / "postgres"
    scripts = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, name = entry.name.removesuffix(".sql").partition("_")
            scripts.append((int(number), name, entry.read_text(encoding="utf-8")))
    return sorted(scripts)


_INBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    update_id    BIGINT NOT NULL UNIQUE,
    lane         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    done         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS inbox_waiting ON inbox(seq) WHERE done = 0;
ALTER TABLE inbox ADD COLUMN IF NOT EXISTS claimed_by TEXT;
ALTER TABLE inbox ADD COLUMN IF NOT EXISTS claimed_until TIMESTAMPTZ;
CREATE INDEX IF NOT EXISTS inbox_lanes ON inbox(lane, seq) WHERE done = 0;
"""


async def connect_with(url: str, schema: str, last: str) -> psycopg.AsyncConnection:
    """A connection of its own (`connect`) for tables kept outside the migrations (the
    inbox, the send windows): their `schema` (statements that make what is missing, in one
    transaction) is run first unless the object it makes `last` is there already. So a
    connection opened again (the server restarted) takes no lock: the ALTER TABLEs in it
    would take an ACCESS EXCLUSIVE lock on their table each time, queued behind every other
    process's use of it. When the schema is made, the migration lock (two processes
    starting at once make it once) is waited for at most LOCK_TIMEOUT_MS: a hang becomes an
    error, which the caller tries again; the connection is closed then."""
    conn = await connect(url)
    try:
        cur = await conn.execute("SELECT to_regclass(%s) IS NOT NULL", (last,))
        row = await cur.fetchone()
        if not (row is not None and row[0]):
            async with conn.transaction():
                await conn.execute(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}")
                await conn.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                await conn.execute(schema)
    except BaseException:
        await conn.close()
        raise
    return conn


async def connect(url: str) -> psycopg.AsyncConnection:
    """One connection set up as the repositories expect (autocommit: BEGIN is explicit)."""
    try:
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True,
                                                     connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.OperationalError as exc:
        raise DatabaseUnreachable(_first_line(exc).replace(_password(url), "***")
                                  if _password(url) else _first_line(exc)) from exc
    await _configure(conn)
    return conn


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


async def _identity_columns(conn: psycopg.AsyncConnection) -> dict[str, str]:
    cur = await conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES'")
    return {table: column for table, column in await cur.fetchall()}


class PgDatabase(Database):
    """The Database of storage/db.py, on PostgreSQL (see the module docstring)."""

    engine = "postgresql"

    def __init__(self, url: str, pool: AsyncConnectionPool) -> None:
        self.url = url
        self.path = None  # no file: the export's child reads through a ReadSnapshot
        self._pool = pool
        self._lock = asyncio.Lock()
        self._keys: dict[str, str] = {}
        self._statements: dict[tuple[str, bool], _Statement] = {}
        self._write: PgConnection | None = None  # the one writing connection
        self._writer: Any = None  # (raw, PgConnection) while a write transaction is open
        self._inbox: InboxStore | None = None
        self._inbox_raw: psycopg.AsyncConnection | None = None
        self._inbox_opening = asyncio.Lock()

    @classmethod
    async def open(cls, url: str) -> PgDatabase:  # type: ignore[override]
        first = await connect(url)  # fails in one line before a pool retries forever
        try:
            keys = await _identity_columns(first)
        except BaseException:
            await first.close()
            raise
        pool = AsyncConnectionPool(url, min_size=1, max_size=READERS, open=False,
                                   kwargs={"autocommit": True}, configure=_configure,
                                   # a connection the server dropped is replaced, not lent
                                   check=AsyncConnectionPool.check_connection, timeout=30)
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except BaseException:
            await first.close()
            raise
        db = cls(url, pool)
        db._keys.update(keys)
        db._write = db._wrap(first)  # the first connection becomes the writing one
        return db

    async def close(self) -> None:
        if self._inbox is not None:
            await self._inbox.close()
            self._inbox = None
        if self._write is not None:
            await self._write.close()
            self._write = None
        await self._pool.close()

    def _wrap(self, conn: psycopg.AsyncConnection) -> PgConnection:
        return PgConnection(conn, self._keys, self._statements)

    async def inbox(self) -> InboxStore:
        """The inbox on a connection of its own; opened again when the server dropped it
        (a restart of the server mid-run: what failed meanwhile is tried again)."""
        async with self._inbox_opening:
            if self._inbox is not None and (self._inbox_raw is None or self._inbox_raw.closed
                                            or self._inbox_raw.broken):
                with contextlib.suppress(Exception):
                    await self._inbox.close()
                self._inbox = None
            if self._inbox is None:
                conn = await connect_with(self.url, _INBOX_SCHEMA, "inbox_lanes")
                self._inbox_raw = conn
                self._inbox = InboxStore(self._wrap(conn))  # type: ignore[arg-type]
            return self._inbox

    async def schema_version(self) -> int:
        async with self._pool.connection() as conn:
            return await _version(conn)

    async def migrate(self, upto: int | None = None) -> list[int]:
        """Apply the migrations the database lacks, each with its version bump in one
        transaction (`upto`: stop after that version; for the tests)."""
        applied = []
        async with self._lock, self._pool.connection() as conn:
            async with conn.transaction():
                await conn.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS dutybot_schema (version INTEGER NOT NULL)")
                await conn.execute("INSERT INTO dutybot_schema (version) SELECT 0 "
                                   "WHERE NOT EXISTS (SELECT 1 FROM dutybot_schema)")
            for version, _name, sql in pg_migration_scripts():
                if upto is not None and version > upto:
                    break
                async with conn.transaction():
                    await conn.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                    if version <= await _version(conn):
                        continue  # or another process applied it meanwhile
                    await conn.execute(sql)
                    await conn.execute("UPDATE dutybot_schema SET version = %s",
                                       (version,))
                applied.append(version)
            self._keys.clear()
            self._keys.update(await _identity_columns(conn))
        return applied

    async def _writing(self) -> PgConnection:
        """The one writing connection (as SQLite has one): never from the readers' pool, so
        a write never waits for a reader to give a connection back; opened again when the
        server dropped it."""
        if self._write is not None and (self._write.raw.closed or self._write.raw.broken):
            with contextlib.suppress(Exception):
                await self._write.close()
            self._write = None
        if self._write is None:
            self._write = self._wrap(await connect(self.url))
        return self._write

    async def _begin(self) -> PgConnection:
        """BEGIN on the writing connection (the lock held)."""
        conn = await self._writing()
        try:
            await conn.raw.execute("BEGIN")
            # one writer at a time across processes, as within one (several `run`s)
            await conn.raw.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.shield(conn.raw.execute("ROLLBACK"))
            raise
        self._writer = (conn.raw, conn)
        return conn

    async def _commit(self) -> None:
        raw, _ = self._writer
        try:
            await raw.execute("COMMIT")
        except BaseException:
            await asyncio.shield(self._undo())
            raise
        self._writer = None

    async def _undo(self) -> None:
        if self._writer is None:
            return
        raw, _ = self._writer
        self._writer = None
        with contextlib.suppress(psycopg.Error):
            await raw.execute("ROLLBACK")

    def _in_transaction(self) -> PgConnection:
        return self._writer[1]

    async def _execute_bare(self, sql: str) -> None:
        await self._writer[0].execute(sql)

    async def read_at_once(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """A plain read: psycopg's statements go to the server one by one whatever we do;
        there is no connection thread to batch them into as on SQLite (storage/at_once.py)."""
        async with self.read() as tx:
            return await fn(tx)

    async def transaction_at_once(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """A plain transaction (see read_at_once): an error `fn` raises undoes its writes."""
        async with self.transaction() as tx:
            return await fn(tx)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        scope = self._scope()
        if scope is not None and scope.open:
            yield Tx(self._writer[1])
            return
        async with self._pool.connection() as raw:
            await raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield Tx(self._wrap(raw))
            finally:
                with contextlib.suppress(psycopg.Error):
                    await asyncio.shield(raw.execute("ROLLBACK"))


class ReadSnapshot:
    """A blocking, read-only REPEATABLE READ snapshot on a connection of its own: what the
    Excel 台账's child process reads (storage/ledger.py), as it reads a SQLite file with
    sqlite3. The repositories' SQL text (`?` placeholders) is translated as above; rows
    come as plain tuples, the long reads through server-side cursors, `size` at a time.
    A failed connection says why without the password (DatabaseUnreachable)."""

    def __init__(self, url: str) -> None:
        try:
            self._conn = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.OperationalError as exc:
            secret = _password(url)
            line = _first_line(exc)
            raise DatabaseUnreachable(line.replace(secret, "***") if secret else line) from None
        # text parameters typed from where they stand, as elsewhere; ints keep psycopg's
        # own dumper here (a server-side cursor's FETCH needs a typed count)
        self._conn.adapters.register_dumper(str, _Untyped)
        self._conn.adapters.register_loader("numeric", _Number)
        self._conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        self._conn.read_only = True  # the first statement opens the one transaction
        self._cursors = 0

    def rows(self, sql: str, params: Sequence[Any], size: int) -> Iterator[tuple]:
        self._cursors += 1
        with self._conn.cursor(name=f"ledger_{self._cursors}") as cur:
            cur.itersize = size
            cur.execute(_placeholders(sql), tuple(params))
            while chunk := cur.fetchmany(size):
                yield from chunk

    def close(self) -> None:
        try:
            if not self._conn.closed and not self._conn.broken:
                self._conn.rollback()
        finally:
            self._conn.close()


async def _version(conn: psycopg.AsyncConnection) -> int:
    """The schema version (`dutybot_schema`, made here on a new database)."""
    cur = await conn.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_name = 'dutybot_schema'")
    if await cur.fetchone() is None:
        return 0
    cur = await conn.execute("SELECT version FROM dutybot_schema")
    row = await cur.fetchone()
    return int(row[0]) if row else 0
