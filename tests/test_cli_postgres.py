"""`dutybot migrate` and start-up with `DUTYBOT_DATABASE_URL` (issue 23 §2): the schema
brought up to date on PostgreSQL, an unreachable server in one Chinese line and exit 1, a
URL that is not PostgreSQL's refused before anything is opened."""

from __future__ import annotations

import socket

import pytest

from bot.cli import main
from storage.db import Database, migration_scripts

LATEST = migration_scripts()[-1][0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("DUTYBOT_DATABASE_URL", "DUTYBOT_DB_PATH", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


async def test_migrate_brings_a_postgresql_database_up_to_date(env, pg_url, tmp_path, capsys):
    env.setenv("DUTYBOT_DATABASE_URL", pg_url)
    assert await _main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert "已执行数据库迁移" in out and "[1, 2," in out
    assert await _main(["migrate"]) == 0
    assert "数据库结构已是最新" in capsys.readouterr().out
    db = await Database.open(pg_url)
    try:
        assert await db.schema_version() == LATEST
    finally:
        await db.close()
    assert not (tmp_path / "dutybot.db").exists()  # SQLite untouched


@pytest.mark.parametrize("command", ["migrate", "run", "export"])
async def test_an_unreachable_database_is_one_chinese_line_and_exit_1(env, command, capsys):
    env.setenv("DUTYBOT_DATABASE_URL",
               f"postgresql://dutybot:s3cret-pw@127.0.0.1:{free_port()}/dutybot")
    env.setenv("TELEGRAM_BOT_TOKEN", "123456789:" + "A" * 35)
    args = [command, "out.xlsx"] if command == "export" else [command]
    assert await _main(args) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "连不上数据库" in err and "DUTYBOT_DATABASE_URL" in err
    assert "s3cret-pw" not in err and "dutybot:***@127.0.0.1" in err


def test_a_url_that_is_not_postgresql_is_refused_in_one_line(env, capsys):
    env.setenv("DUTYBOT_DATABASE_URL", "mysql://root@127.0.0.1/dutybot")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("dutybot: DUTYBOT_DATABASE_URL") and "postgresql://" in err


async def _main(argv: list[str]) -> int:
    """The command line in a thread of its own (it runs its own event loop)."""
    import asyncio

    return await asyncio.to_thread(main, argv)


def test_restore_refuses_a_file_that_is_no_pg_dump_archive_in_one_line(env, tmp_path, capsys):
    env.setenv("DUTYBOT_DATABASE_URL", "postgresql://dutybot@127.0.0.1:5432/dutybot")
    (tmp_path / "a.dump").write_bytes(b"PGDMP")
    assert main(["restore", "a.dump", "--yes"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pg_restore" in err and "数据库未改动" in err
    assert not (tmp_path / "dutybot.db").exists()
