"""`dutybot copy-db SOURCE TARGET` (issue 23 §2): an office's data moved to another
database (SQLite → PostgreSQL, or back), every row with its id, counts verified.

Both are brought to this program's schema first (a source newer than it is refused). The
target must be empty. Every table is copied in the order its foreign keys need, in ONE
transaction on the target, read from ONE snapshot of the source; then each table is
counted on both sides, and any difference undoes the whole copy: the target is left as
empty as it was. On PostgreSQL the identity sequences are moved past the copied ids by the
same insert (storage/postgres.py), so the next row made there gets a new id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from storage.db import Database, DatabaseUnreachable, migration_scripts


class CopyProblem(Enum):
    NEWER = "source schema newer than this program"
    NOT_EMPTY = "target not empty"
    COLUMNS = "target lacks columns"
    MISMATCH = "counts differ"


@dataclass(frozen=True, slots=True)
class Counted:
    table: str
    source: int
    target: int


class CopyRefused(Exception):
    def __init__(self, problem: CopyProblem, *, version: int = 0, latest: int = 0,
                 tables: tuple[str, ...] = (), counted: tuple[Counted, ...] = ()) -> None:
        super().__init__(f"{problem.value}: {', '.join(tables)}")
        self.problem = problem
        self.version = version
        self.latest = latest
        self.tables = tables
        self.counted = counted


def parents_first(rows: list[tuple[Any, ...]], columns: list[str],
                  refs: list[str]) -> list[tuple[Any, ...]]:
    """Rows of a table that points at itself (units.parent_id, items.parent_id) in an order
    where the row pointed at comes first; otherwise as they were."""
    if not refs or not rows:
        return rows
    key = 0  # the first column: the id
    at = [columns.index(r) for r in refs if r in columns]
    done: set[Any] = set()
    ordered: list[tuple[Any, ...]] = []
    waiting = rows
    while waiting:
        later = []
        for row in waiting:
            if all(row[i] is None or row[i] in done or row[i] == row[key] for i in at):
                ordered.append(row)
                done.add(row[key])
            else:
                later.append(row)
        if len(later) == len(waiting):  # pointing at rows that are not there: as they are
            ordered += later
            break
        waiting = later
    return ordered


Progress = Callable[[int, int], None]  # (rows copied, rows in all), for a progress bar


async def copy_database(source: str | Path, target: str | Path,
                        progress: Progress | None = None) -> list[Counted]:
    """Copy everything (see the module docstring); the counts, table by table. A
    CopyRefused when it is not done, and then the target holds nothing of the source."""
    latest = migration_scripts()[-1][0]
    src = await _open(source)
    try:
        version = await src.schema_version()
        if version > latest:
            raise CopyRefused(CopyProblem.NEWER, version=version, latest=latest)
        await src.migrate()
        dst = await _open(target)
        try:
            await dst.migrate()
            async with src.read() as rtx, dst.transaction() as wtx:
                return await _copy(rtx, wtx, progress)
        finally:
            await dst.close()
    finally:
        await src.close()


async def _open(address: str | Path) -> Database:
    try:
        return await Database.open(address)
    except DatabaseUnreachable as exc:
        exc.address = address  # which of the two  # type: ignore[attr-defined]
        raise


async def _copy(rtx: Any, wtx: Any, progress: Progress | None = None) -> list[Counted]:
    tables = await wtx.tables.names()
    filled = tuple([t for t in tables if await wtx.tables.count(t)])
    if filled:
        raise CopyRefused(CopyProblem.NOT_EMPTY, tables=filled)
    theirs = await rtx.tables.names()
    lacking = tuple(t for t in theirs if t not in tables)
    if lacking:
        raise CopyRefused(CopyProblem.COLUMNS, tables=lacking)
    counted = []
    copied = [t for t in tables if t in theirs]
    total = sum([await rtx.tables.count(t) for t in copied]) if progress else 0
    done = 0
    for table in copied:
        wanted = await wtx.tables.columns(table)
        have = await rtx.tables.columns(table)
        missing = [c for c in have if c not in wanted and c != "rowid"]
        if missing:
            raise CopyRefused(CopyProblem.COLUMNS,
                              tables=tuple(f"{table}.{c}" for c in missing))
        columns = [c for c in have if c in wanted]
        rows = await rtx.tables.rows(table, columns)
        rows = parents_first(rows, columns, await wtx.tables.self_references(table))
        await wtx.tables.insert(table, columns, rows)
        counted.append(Counted(table, await rtx.tables.count(table),
                               await wtx.tables.count(table)))
        if progress is not None:
            done += len(rows)
            progress(done, total)
    if any(c.source != c.target for c in counted):
        raise CopyRefused(CopyProblem.MISMATCH, counted=tuple(counted),
                          tables=tuple(c.table for c in counted if c.source != c.target))
    return counted
