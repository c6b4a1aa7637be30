"""Backups on PostgreSQL (issue 23 §2, §4): `dutybot backup FILE` and the daily backup run
`pg_dump --format=custom` through the same engine seam (storage/backup.py); the file reads
back with `pg_restore --list`. No pg_dump on the PATH: one Chinese line saying how to
install it, and no file."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from datetime import datetime

import pytest

from bot.cli import main
from bot.clock import ManualClock
from bot.config import load_settings
from bot.services.backups import Taken
from bot.services.registry import Services
from storage.backup import PgDumpBackup, backup_engine
from storage.db import Database, migration_scripts
from tests.conftest import ADMIN_ID, TZ

LATEST = migration_scripts()[-1][0]


def listing(path) -> str:
    done = subprocess.run([shutil.which("pg_restore"), "--list", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("DUTYBOT_DATABASE_URL", "DUTYBOT_DB_PATH", "TELEGRAM_BOT_TOKEN",
                 "DUTYBOT_BACKUP_DIR"):
        monkeypatch.delenv(name, raising=False)
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump / pg_restore not on the PATH (apt-get install postgresql-client)")
    return monkeypatch


async def _migrated(url: str) -> None:
    db = await Database.open(url)
    try:
        await db.migrate()
        async with db.transaction() as tx:
            from bot.domain.model import UnitKind

            await tx.units.add("某局党委", UnitKind.COMMITTEE, None, datetime(2026, 11, 23))
    finally:
        await db.close()


async def test_dutybot_backup_on_postgresql_writes_a_pg_dump_archive(env, pg_url, tmp_path,
                                                                   capsys):
    await _migrated(pg_url)
    env.setenv("DUTYBOT_DATABASE_URL", pg_url)
    assert await asyncio.to_thread(main, ["backup", "office.dump"]) == 0
    out = capsys.readouterr().out
    assert "office.dump" in out and f"结构版本 {LATEST}" in out
    assert "pg_restore --list 检查通过" in out
    dump = tmp_path / "office.dump"
    assert dump.read_bytes()[:5] == b"PGDMP"  # the custom format's own header
    assert oct(dump.stat().st_mode & 0o777) == "0o600"
    contents = listing(dump)
    assert "TABLE DATA public units" in contents and "TABLE DATA public events" in contents
    assert [n for n in os.listdir(tmp_path) if n.endswith(".partial")] == []
    # a second time, the same name: refused, the first left as it was
    assert await asyncio.to_thread(main, ["backup", "office.dump"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "已存在，不会覆盖" in err


async def test_the_daily_backup_on_postgresql_is_a_pg_dump_in_the_folder(env, pg_url,
                                                                        tmp_path):
    await _migrated(pg_url)
    settings = load_settings(DUTYBOT_DATABASE_URL=pg_url, DUTYBOT_ADMIN_IDS=str(ADMIN_ID),
                             DUTYBOT_BACKUP_DIR=str(tmp_path / "backups"),
                             TELEGRAM_API_BASE_URL="https://api.telegram.org")
    assert isinstance(backup_engine(settings.db_path, settings.database_url), PgDumpBackup)
    services = await Services.open(settings, ManualClock(datetime(2026, 11, 23, 3, 0,
                                                                  tzinfo=TZ)))
    try:
        taken = await services.backups.run_if_due()
        assert isinstance(taken, Taken), taken
        assert await services.backups.run_if_due() is None  # one a day
    finally:
        await services.close()
    assert taken.result.path.name == "dutybot-2026-11-23-030000.dump"
    assert taken.result.schema_version == LATEST
    assert "TABLE DATA public units" in listing(taken.result.path)


def test_without_pg_dump_one_chinese_line_says_how_to_install_it(env, tmp_path, capsys):
    env.setenv("DUTYBOT_DATABASE_URL", "postgresql://dutybot@127.0.0.1:5432/dutybot")
    env.setenv("PATH", str(tmp_path))  # no pg_dump here
    assert main(["backup", "office.dump"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "没有找到 pg_dump" in err and "apt-get install postgresql-client" in err
    assert os.listdir(tmp_path) == []


async def test_a_failed_pg_dump_leaves_no_file_and_no_password_in_the_line(env, tmp_path,
                                                                          capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env.setenv("DUTYBOT_DATABASE_URL", f"postgresql://dutybot:s3cret-pw@127.0.0.1:{port}/x")
    assert await asyncio.to_thread(main, ["backup", "office.dump"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "s3cret-pw" not in err and "没有留下任何文件" in err
    assert os.listdir(tmp_path) == []


def _rows(url: str) -> dict[str, list[tuple]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                for t in ("units", "persons", "items", "events")}


async def test_restore_on_postgresql_puts_every_row_back(env, pg_url, tmp_path, capsys):
    """Issue 23 §4 on PostgreSQL: backup, damage, restore, every row back; the archive
    checked first; refused while a bot runs on the database (its shared run lock)."""
    import psycopg

    from storage.workers import Leadership

    await _migrated(pg_url)
    env.setenv("DUTYBOT_DATABASE_URL", pg_url)
    before = _rows(pg_url)
    assert await asyncio.to_thread(main, ["backup", "office.dump"]) == 0
    with psycopg.connect(pg_url) as conn:  # the damage
        conn.execute("DELETE FROM events")
        conn.execute("UPDATE units SET name = '改坏了'")
    capsys.readouterr()

    running = Leadership(pg_url)  # what every `dutybot run` holds
    await running.open()
    try:
        assert await asyncio.to_thread(main, ["restore", "office.dump", "--yes"]) == 1
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "请先停止 dutybot run" in err
    finally:
        await running.close()
    assert _rows(pg_url)["units"][0][1] == "改坏了"  # nothing changed

    assert await asyncio.to_thread(main, ["restore", "office.dump", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "已从 office.dump 恢复数据库" in out and "password" not in out
    assert _rows(pg_url) == before  # every row back

    newer = tmp_path / "not-ours.dump"
    newer.write_bytes(b"PGDMP and then nothing pg_restore can read")
    assert await asyncio.to_thread(main, ["restore", str(newer), "--yes"]) == 1
    assert "不是 dutybot 的 PostgreSQL 备份" in capsys.readouterr().err
    assert _rows(pg_url) == before
