"""`dutybot backup FILE`: a consistent copy while the bot writes, and the restore the
README describes."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest

from bot.domain.model import UnitKind
from storage.backup import BackupError, BackupProblem, backup
from storage.db import Database, migration_scripts
from tests.conftest import MONDAY
from tests.test_cli import dutybot

LATEST = migration_scripts()[-1][0]


async def seeded(path: Path, units: int = 50) -> None:
    db = await Database.open(path)
    await db.migrate()
    async with db.transaction() as tx:
        for n in range(units):
            await tx.units.add(f"单位{n:03d}", UnitKind.DEPARTMENT, None, MONDAY)
    await db.close()


def count(path: Path, table: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


async def test_a_copy_taken_while_someone_writes_is_whole_and_consistent(tmp_path):
    live = tmp_path / "bot.db"
    await seeded(live)
    stop = threading.Event()

    def writer() -> None:  # the bot, busy writing while the backup runs
        with closing(sqlite3.connect(live, timeout=30)) as conn:
            n = 0
            while not stop.is_set():
                with conn:
                    conn.execute("INSERT INTO processed_updates VALUES (?, ?)",
                                 (n, datetime.now().isoformat()))
                n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        result = backup(live, tmp_path / "copy.db")
    finally:
        stop.set()
        thread.join()
    assert result.schema_version == LATEST and result.size > 0
    assert count(result.path, "units") == 50
    with closing(sqlite3.connect(result.path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


@pytest.mark.parametrize(("case", "problem"), [
    ("exists", BackupProblem.TARGET_EXISTS),
    ("no folder", BackupProblem.NO_FOLDER),
    ("no source", BackupProblem.NO_SOURCE),
])
async def test_refusals_leave_everything_as_it_was(tmp_path, case, problem):
    live = tmp_path / "bot.db"
    await seeded(live)
    target = tmp_path / "copy.db"
    if case == "exists":
        target.write_text("yesterday's backup", encoding="utf-8")
    if case == "no folder":
        target = tmp_path / "missing" / "copy.db"
    if case == "no source":
        live = tmp_path / "nothing.db"
    with pytest.raises(BackupError) as refused:
        backup(live, target)
    assert refused.value.problem is problem
    if case == "exists":
        assert target.read_text(encoding="utf-8") == "yesterday's backup"


async def test_the_cli_backs_up_and_the_readme_restore_works(tmp_path):
    live = tmp_path / "bot.db"
    await seeded(live, units=7)
    result = dutybot(tmp_path, "backup", "copy.db", DUTYBOT_DB_PATH=str(live))
    assert result.returncode == 0, result.stderr
    assert "完整性检查通过" in result.stdout and f"结构版本 {LATEST}" in result.stdout
    again = dutybot(tmp_path, "backup", "copy.db", DUTYBOT_DB_PATH=str(live))
    assert again.returncode == 1
    assert again.stderr.strip().splitlines() == [
        "dutybot: backup: copy.db 已存在，不会覆盖：请换一个新文件名。"]
    # restore, as the README says: stop the bot, put the copy in place, start again
    live.unlink()
    for extra in ("-wal", "-shm"):
        Path(f"{live}{extra}").unlink(missing_ok=True)
    shutil.copy(tmp_path / "copy.db", live)
    up = dutybot(tmp_path, "migrate", DUTYBOT_DB_PATH=str(live))
    assert "数据库结构已是最新" in up.stdout
    assert count(live, "units") == 7
