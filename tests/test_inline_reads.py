"""Reads a person waits on, done on the event loop's own thread when short
(storage/inline.py), and on a reader's thread when long, when the file is locked, or when
asked from another thread — with the same answer either way, and the event loop never held
up for long."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import aiosqlite
import pytest

from bot.domain.model import Actor, UnitKind
from bot.services.errors import NotYours
from storage import inline
from storage.roundtrips import counting

OFFICE = Actor(telegram_user_id=None, bootstrap_admin=True)


async def add_units(services, count: int) -> None:
    now = services.clock.now()
    async with services.db.transaction() as tx:
        for n in range(count):
            await tx.units.add(f"单位{n}", UnitKind.DEPARTMENT, None, now)


@pytest.fixture
def hops(monkeypatch):
    """Every hop to an aiosqlite connection's thread, counted."""
    made: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        made.append(getattr(fn, "__name__", "?"))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return made


async def test_a_short_read_needs_no_thread_and_counts_as_one_trip(services, hops):
    await add_units(services, 3)
    hops.clear()
    with counting() as counter:
        units = await services.db.read_at_once(lambda tx: tx.units.all())
    assert sorted(u.name for u in units.values()) == ["单位0", "单位1", "单位2"]
    assert hops == []  # not one hop to a thread
    assert counter.count == 1  # but it went to the database once


async def test_it_sees_what_was_written_since(services):
    await add_units(services, 1)
    assert len(await services.db.read_at_once(lambda tx: tx.units.all())) == 1
    await add_units(services, 0)  # nothing new
    now = services.clock.now()
    async with services.db.transaction() as tx:
        await tx.units.add("新单位", UnitKind.DEPARTMENT, None, now)
    names = {u.name for u in (await services.db.read_at_once(lambda tx: tx.units.all())).values()}
    assert names == {"单位0", "新单位"}


async def test_a_read_past_its_budget_moves_to_a_thread_with_the_same_answer(
        services, hops, monkeypatch):
    async def slow(tx):  # a statement that takes a while: SQLite's VM counts to 300 000
        async with tx.units._conn.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                "WHERE i < 300000) SELECT count(*) FROM n") as cur:
            return (await cur.fetchone())[0]

    monkeypatch.setattr(inline, "BUDGET", 0.0)
    hops.clear()
    assert await services.db.read_at_once(slow) == 300_000
    assert "in_thread" in hops  # interrupted at once, then done on a reader's thread
    monkeypatch.setattr(inline, "BUDGET", 60.0)
    hops.clear()
    assert await services.db.read_at_once(slow) == 300_000
    assert hops == []  # within a generous budget: on the loop's thread


async def test_the_budget_bounds_how_long_the_loop_waits(services, monkeypatch):
    """While a long read runs, the event loop still gets to other work within a few
    budgets: the read is moved off it, not finished on it."""
    async def very_slow(tx):
        async with tx.units._conn.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                "WHERE i < 10000000) SELECT count(*) FROM n") as cur:
            return (await cur.fetchone())[0]

    monkeypatch.setattr(inline, "BUDGET", 0.005)
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    assert await services.db.read_at_once(very_slow) == 10_000_000
    task.cancel()
    assert max(gaps) < 0.5, max(gaps)  # the whole read takes about two seconds


async def test_a_locked_file_sends_the_read_to_a_thread(services, hops, monkeypatch):
    """SQLite answers a WAL reader "busy" only in rare moments (another connection
    recovering the WAL, one in exclusive locking mode): the read does not wait on the
    event loop's thread, it goes to a reader's, whose busy timeout waits."""
    await add_units(services, 2)
    reader = services.db._inline
    real = reader._connection()

    class Busy:
        def execute(self, sql, *args):
            if sql in ("BEGIN", "ROLLBACK"):
                return real.execute(sql, *args)
            error = sqlite3.OperationalError("database is locked")
            error.sqlite_errorcode = sqlite3.SQLITE_BUSY
            raise error

        @property
        def in_transaction(self):
            return real.in_transaction

    monkeypatch.setattr(reader, "_connection", Busy)
    hops.clear()
    assert len(await services.db.read_at_once(lambda tx: tx.units.all())) == 2
    assert "in_thread" in hops
    assert not real.in_transaction  # the abandoned read ended


async def test_another_thread_reads_on_a_reader_thread(services):
    await add_units(services, 2)
    assert len(await services.db.read_at_once(lambda tx: tx.units.all())) == 2
    found: list[int] = []

    def elsewhere() -> None:  # its own event loop on another thread: the same database
        async def read() -> None:
            found.append(len(await services.db.read_at_once(lambda tx: tx.units.all())))
        asyncio.run(read())

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert found == [2]


async def test_a_refusal_inside_leaves_no_transaction_open(services):
    async def refused(tx):
        await tx.units.all()
        raise NotYours()

    with pytest.raises(NotYours):
        await services.db.read_at_once(refused)
    await add_units(services, 1)  # the next read begins cleanly and sees the new unit
    assert len(await services.db.read_at_once(lambda tx: tx.units.all())) == 1


async def test_a_read_cannot_write(services):
    async def writes(tx):
        await tx.units._conn.execute(
            "INSERT INTO units (name, kind, created_at) VALUES ('x', 'department', 'now')")

    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await services.db.read_at_once(writes)
    assert await services.db.read_at_once(lambda tx: tx.units.all()) == {}
