"""storage for the summary: migration 0004 on a database with history, finished_at kept
by its trigger, and the response tallies."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from storage.db import Database, migration_scripts

STAMP = "2026-11-02T09:00:00+08:00"


def build_to(path: Path, version: int) -> None:
    """The schema as an older release left it, with plain sqlite3."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for number, _name, sql in migration_scripts():
            if number <= version:
                conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")


def seed_v3(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO units (id, name, kind, created_at) VALUES (1, '某局党委', "
                 "'committee', ?)", (STAMP,))
    conn.execute("INSERT INTO persons (id, name, unit_id, created_at) VALUES (7, '李明', 1, ?)",
                 (STAMP,))
    for iid, status in ((1, "done"), (2, "open"), (3, "verified")):
        conn.execute(
            "INSERT INTO items (id, code, kind, title, duty, owner_id, unit_id, due_date, "
            "status, created_at, updated_at) VALUES (?, ?, 'measure', 't', 'dual', 7, 1, "
            "'2026-11-10', ?, ?, ?)", (iid, f"C000{iid}", status, STAMP, STAMP))
    columns = {r[1] for r in conn.execute("PRAGMA table_info(outbox)")}
    chat = "chat_id" if "chat_id" in columns else "address"  # a target since version 7
    conn.execute(f"INSERT INTO outbox (id, dedup_key, {chat}, person_id, kind, day, payload, "
                 "status, next_attempt_at, created_at) VALUES (1, 'd', 70, 7, 'digest', "
                 "'2026-11-03', '{}', 'sent', ?, ?)", (STAMP, STAMP))
    columns = {r[1] for r in conn.execute("PRAGMA table_info(outbox)")}
    chat = "chat_id" if "chat_id" in columns else "address"  # a target since version 7
    conn.execute(f"INSERT INTO outbox (id, dedup_key, {chat}, person_id, kind, day, payload, "
                 "status, next_attempt_at, created_at) VALUES (2, 'e', 70, 7, 'digest', "
                 "'2026-11-04', '{}', 'pending', ?, ?)", (STAMP, STAMP))
    # item 3, a 整改 reported done on 5 November and signed off later (its updated_at)
    for to, at in (("pending_verification", "2026-11-05T10:00:00+08:00"),
                   ("verified", "2026-11-20T10:00:00+08:00")):
        conn.execute("INSERT INTO events (at, kind, subject_type, subject_id, data) "
                     "VALUES (?, 'item.status', 'item', '3', ?)", (at, f'{{"to": "{to}"}}'))
    conn.execute("UPDATE items SET updated_at = '2026-11-20T10:00:00+08:00' WHERE id = 3")
    for rid, item, box, ack in ((1, 1, 1, STAMP), (2, 2, 1, None), (3, 3, 2, None)):
        conn.execute("INSERT INTO reminders (id, recipient, item_id, stage, due_date, "
                     "planned_for, outbox_id, acknowledged_at) VALUES (?, 'p:7', ?, 'T-7', "
                     "'2026-11-10', '2026-11-03', ?, ?)", (rid, item, box, ack))


async def test_upgrading_a_database_with_history(tmp_path):
    path = tmp_path / "old.db"
    build_to(path, 3)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        seed_v3(conn)
    db = await Database.open(path)
    try:
        assert 4 in await db.migrate()
    finally:
        await db.close()
    with closing(sqlite3.connect(path)) as conn:
        finished = dict(conn.execute("SELECT id, finished_at FROM items"))
        # finished: when the owner reported it, else (no event) when last updated
        assert finished == {1: STAMP, 2: None, 3: "2026-11-05T10:00:00+08:00"}
        sent = dict(conn.execute("SELECT id, sent_on FROM reminders"))
        assert sent == {1: "2026-11-03", 2: "2026-11-03", 3: None}  # 3's message never went
        tallies = conn.execute("SELECT person_id, month, reminded, answered "
                               "FROM response_tallies").fetchall()
        assert tallies == [(7, "2026-11", 2, 1)]


async def test_finished_at_follows_the_status(tmp_path):
    path = tmp_path / "new.db"
    db = await Database.open(path)
    await db.migrate()
    await db.close()
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        seed_v3(conn)  # inserted as done: no finished_at (an import's history is unknown)
        assert conn.execute("SELECT finished_at FROM items WHERE id = 1").fetchone() == (None,)

        def move(status: str, at: str) -> str | None:
            conn.execute("UPDATE items SET status = ?, updated_at = ? WHERE id = 2",
                         (status, at))
            return conn.execute("SELECT finished_at FROM items WHERE id = 2").fetchone()[0]

        assert move("in_progress", "2026-11-05T10:00:00+08:00") is None
        assert move("pending_verification", "2026-11-06T10:00:00+08:00") == \
            "2026-11-06T10:00:00+08:00"
        # 销号 later keeps the day the owner finished
        assert move("verified", "2026-11-20T10:00:00+08:00") == "2026-11-06T10:00:00+08:00"
        assert move("returned", "2026-11-21T10:00:00+08:00") is None  # reopened
        assert move("done", "2026-11-22T10:00:00+08:00") == "2026-11-22T10:00:00+08:00"
        assert move("cancelled", "2026-11-23T10:00:00+08:00") is None
