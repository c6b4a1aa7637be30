"""`dutybot copy-db SOURCE TARGET` (issue 23 §2): a populated SQLite database moved to
PostgreSQL with every id, every table's count verified and printed; a target that is not
empty, an address that is no database and a database a running bot holds are refused in
one Chinese line, and nothing is written."""

from __future__ import annotations

import asyncio
import os

import pytest

from bot.cli import main
from bot.runlock import hold_run_lock
from storage.db import Database
from storage.tables import TableRepo


async def _main(*argv: str) -> int:
    """The command line in a thread of its own (it runs its own event loop)."""
    return await asyncio.to_thread(main, list(argv))


async def _everything(address) -> dict[str, list[tuple]]:
    db = await Database.open(address)
    try:
        async with db.read() as tx:
            out = {}
            for table in await tx.tables.names():
                columns = [c for c in await tx.tables.columns(table) if c != "rowid"]
                out[table] = sorted(await tx.tables.rows(table, columns), key=repr)
            return out
    finally:
        await db.close()


@pytest.fixture
async def populated(world, bot, settings, monkeypatch, capsys):
    """The bot's database after a morning's use: units, people (bound), items by the /新建
    flow, a 纪委 group, their events and outbox, and a 问责 case from the console."""
    monkeypatch.setenv("DUTYBOT_DB_PATH", str(settings.db_path))
    assert await _main("case", "add", "周支书", "--by", "刘纪委", "--situation", "4",
                       "--finding", "压案不查", "--misconduct") == 0
    capsys.readouterr()
    return settings.db_path


async def test_a_populated_sqlite_database_moves_to_postgresql_with_every_row(
        populated, pg_url, capsys):
    before = await _everything(populated)
    for table in ("units", "persons", "items", "events", "outbox", "cases", "case_parties"):
        assert before[table], f"{table} is empty: the test populates too little"
    assert await _main("copy-db", f"sqlite:///{populated}", pg_url) == 0
    out = capsys.readouterr().out
    after = await _everything(pg_url)
    assert after.keys() == before.keys()
    for table, rows in before.items():
        assert len(after[table]) == len(rows), table
        assert f"{table} " in out  # its line in the counts
    for table in ("units", "persons", "items", "events", "cases"):
        assert after[table] == before[table], table  # ids and values kept
    assert "逐表核对条数一致" in out
    lines = out.strip().splitlines()
    assert lines[0].startswith("表")
    # the sequences went past the copied ids: a new row gets a new id
    db = await Database.open(pg_url)
    try:
        async with db.read() as tx:
            highest = max(await tx.units.all())
        from datetime import datetime

        from bot.domain.model import UnitKind

        async with db.transaction() as tx:
            unit = await tx.units.add("新单位", UnitKind.DEPARTMENT, None, datetime(2026, 12, 1))
        assert unit.id > highest
    finally:
        await db.close()


async def test_a_plain_path_is_a_sqlite_file_and_postgresql_copies_back(
        populated, pg_url, tmp_path, capsys):
    assert await _main("copy-db", str(populated), pg_url) == 0
    back = tmp_path / "back.db"
    assert await _main("copy-db", pg_url, str(back)) == 0
    capsys.readouterr()
    assert await _everything(back) == await _everything(populated)


async def test_a_target_that_is_not_empty_is_refused_and_left_as_it_was(
        populated, pg_url, capsys):
    assert await _main("copy-db", str(populated), pg_url) == 0
    capsys.readouterr()
    before = await _everything(pg_url)
    assert await _main("copy-db", str(populated), pg_url) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "不是空的" in err and "目标未改动" in err
    assert await _everything(pg_url) == before


@pytest.mark.parametrize("address", ["mysql://root@127.0.0.1/dutybot", "sqlite://old.db",
                                     "https://example.org/x"])
async def test_an_address_that_is_no_database_is_refused_in_one_line(
        address, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert await _main("copy-db", address, str(tmp_path / "new.db")) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "无法识别数据库地址" in err
    assert not (tmp_path / "new.db").exists()


async def test_a_missing_source_file_is_refused_and_nothing_is_made(tmp_path, capsys):
    assert await _main("copy-db", str(tmp_path / "none.db"), str(tmp_path / "new.db")) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "不存在" in err
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "new.db").exists()


async def test_a_database_a_running_bot_holds_is_refused(populated, pg_url, capsys):
    with hold_run_lock(populated):
        assert await _main("copy-db", str(populated), pg_url) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "正由运行中的机器人使用" in err and f"进程 {os.getpid()}" in err
    db = await Database.open(pg_url)
    try:
        assert await db.schema_version() == 0  # not even migrated
    finally:
        await db.close()


async def test_a_count_that_differs_undoes_the_whole_copy(populated, pg_url, monkeypatch,
                                                        capsys):
    insert = TableRepo.insert

    async def loses_one(self, table, columns, rows):
        await insert(self, table, columns, rows[:-1] if table == "events" else rows)

    monkeypatch.setattr(TableRepo, "insert", loses_one)
    assert await _main("copy-db", str(populated), pg_url) == 1
    err = capsys.readouterr().err
    assert "已整体撤销" in err.strip().splitlines()[-1] and "✗ 不一致" in err
    assert all(rows == [] for rows in (await _everything(pg_url)).values())


async def test_a_file_that_is_no_database_and_a_missing_folder_are_one_line_each(
        tmp_path, capsys):
    junk = tmp_path / "notes.db"
    junk.write_text("这不是数据库\n" * 200, encoding="utf-8")
    assert await _main("copy-db", str(junk), str(tmp_path / "new.db")) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "复制失败" in err, err
    assert junk.read_text(encoding="utf-8").startswith("这不是数据库")
    source = tmp_path / "a.db"
    db = await Database.open(source)
    await db.migrate()
    await db.close()
    assert await _main("copy-db", str(source), str(tmp_path / "nowhere" / "b.db")) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "不存在" in err, err
    assert not (tmp_path / "nowhere").exists()


def test_rows_that_point_at_their_own_table_go_in_after_what_they_point_at():
    from storage.copy import parents_first

    rows = [(1, None), (2, 5), (3, 1), (5, 3), (6, 6)]  # 2's parent came later
    ordered = parents_first(rows, ["id", "parent_id"], ["parent_id"])
    assert [r[0] for r in ordered] == [1, 3, 5, 6, 2]
    assert parents_first(rows, ["id", "parent_id"], []) == rows
    orphan = [(1, 9), (2, None)]  # pointing at a row that is not there: kept, at the end
    assert parents_first(orphan, ["id", "parent_id"], ["parent_id"]) == [(2, None), (1, 9)]


async def test_an_unreachable_target_is_one_line_without_its_password(tmp_path, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    source = tmp_path / "a.db"
    db = await Database.open(source)
    await db.migrate()
    await db.close()
    url = f"postgresql://dutybot:s3cret-pw@127.0.0.1:{port}/dutybot"
    assert await _main("copy-db", str(source), url) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "连不上数据库" in err, err
    assert "s3cret-pw" not in err and "dutybot:***@127.0.0.1" in err
