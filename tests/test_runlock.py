"""One database, one bot process (issue 20, item 9).

A second `dutybot run` on the database of a running one refuses to start in one Chinese
line naming the database and the running process, before any network call, and the first
keeps serving; backup, export, import and invite keep working beside it. The lock is the
kernel's: a process killed with -9 leaves no lock behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.server import FakeTelegramServer
from bot.runlock import RunLocked, hold_run_lock, lock_path
from messages.cli import run_locked
from tests.test_cli import DUTYBOT, clean_env
from tests.test_process_http import BotProcess
from tests.workbooks import filled

TIMEOUT = 30


# -- the lock itself ---------------------------------------------------------------------------


def test_the_lock_is_a_file_beside_the_database_holding_the_pid(tmp_path: Path) -> None:
    db = tmp_path / "dutybot.db"
    with hold_run_lock(db) as path:
        assert path == tmp_path / "dutybot.db.lock"
        assert path.read_text(encoding="ascii") == f"{os.getpid()}\n"
        assert not db.exists()  # the database itself is not touched
    assert path.read_text(encoding="ascii") == ""  # released: no pid to name


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    db = tmp_path / "dutybot.db"
    with hold_run_lock(db):
        with pytest.raises(RunLocked) as refused, hold_run_lock(db):
            pass
        assert refused.value.pid == os.getpid() and refused.value.db_path == db
        # another path to the same file is the same database
        os.symlink(tmp_path, tmp_path.parent / f"{tmp_path.name}-link")
        with pytest.raises(RunLocked), hold_run_lock(
                tmp_path.parent / f"{tmp_path.name}-link" / "dutybot.db"):
            pass
    with hold_run_lock(db):  # released at the end of the block: free again
        pass


def test_the_refusal_is_one_chinese_line_naming_database_and_process(tmp_path: Path) -> None:
    line = run_locked(tmp_path / "dutybot.db", 4242)
    assert "\n" not in line and f"数据库 {tmp_path}/dutybot.db" in line and "进程 4242" in line
    assert "另一个进程" in run_locked(tmp_path / "dutybot.db", None)


def test_a_holder_killed_with_minus_9_leaves_no_lock(tmp_path: Path) -> None:
    db = tmp_path / "dutybot.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from pathlib import Path\nfrom bot.runlock import hold_run_lock\n"
         "with hold_run_lock(Path(sys.argv[1])):\n    print('held', flush=True)\n"
         "    time.sleep(60)\n", str(db)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLocked) as refused, hold_run_lock(db):
            pass
        assert refused.value.pid == holder.pid
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert lock_path(db).read_text(encoding="ascii") == f"{holder.pid}\n"  # a stale file…
    with hold_run_lock(db):  # …that blocks nobody
        pass


def _files(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file in the folder: (mtime in ns, size, contents)."""
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size, p.read_bytes())
            for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_refused_run_touches_no_file(tmp_path: Path) -> None:
    """The second `dutybot run` stops at the lock: it opens, migrates, creates or writes
    neither the database, its WAL, nor the inbox beside it (whose first opening by the
    running bot must not meet another process)."""
    import asyncio

    from storage.db import Database

    db = tmp_path / "dutybot.db"
    api = FakeTelegram()
    env = clean_env(TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL="http://127.0.0.1:9",
                    DUTYBOT_DB_PATH=str(db), DUTYBOT_ADMIN_IDS="1")

    def refused() -> None:
        before = _files(tmp_path)
        time.sleep(0.05)  # a write now would show in the mtimes
        second = subprocess.run([str(DUTYBOT), "run"], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=TIMEOUT)
        assert second.returncode == 1, second.stderr
        assert second.stderr.splitlines() == [f"dutybot: {run_locked(db, os.getpid())}"]
        assert _files(tmp_path) == before

    async def made() -> None:
        database = await Database.open(db)
        try:
            await database.migrate()
            await database.inbox()
        finally:
            await database.close()

    with hold_run_lock(db):
        refused()  # the first run has not made its database yet: none is made
        assert sorted(_files(tmp_path)) == ["dutybot.db.lock"]
        asyncio.run(made())
        refused()  # nor is the made one, or its inbox, opened


# -- two real processes ------------------------------------------------------------------------


def test_a_second_run_on_the_same_database_refuses_and_the_first_keeps_serving(
        tmp_path: Path) -> None:
    api = FakeTelegram()
    server = FakeTelegramServer(api).start()
    db = tmp_path / "bot" / "dutybot.db"
    first = BotProcess(api, server, db, tmp_path / "bot")
    env = clean_env(TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=server.root,
                    DUTYBOT_DB_PATH=str(db), DUTYBOT_ADMIN_IDS="1")
    try:
        first.start()
        admin = api.user(1, "办公室郑晓")
        assert first.reply_to(admin, "/newunit 某局党委").startswith("✅ 已新建单位")
        calls = len(api.calls)

        # the second process, as a service manager or a hurried operator would start it
        second = subprocess.run([str(DUTYBOT), "run"], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=TIMEOUT)
        assert second.returncode == 1, second.stderr
        assert second.stdout == "" and "Traceback" not in second.stderr
        assert second.stderr.splitlines() == [f"dutybot: {run_locked(db, first.proc.pid)}"]
        assert f"数据库 {db}" in second.stderr and f"进程 {first.proc.pid}" in second.stderr
        assert not [m for m, _ in api.calls[calls:] if m.lower() == "getme"]  # no network

        # the first serves on, alone
        assert first.proc.poll() is None
        assert "某局党委" in first.reply_to(admin, "/units")

        # and the office's other commands work beside it
        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([str(DUTYBOT), *args], env=env, cwd=tmp_path,
                                  capture_output=True, text=True, timeout=TIMEOUT)

        copied = cli("backup", "copy.db")
        assert copied.returncode == 0 and "完整性检查通过" in copied.stdout, copied.stderr
        (tmp_path / "导入.xlsx").write_bytes(filled())
        imported = cli("import", "导入.xlsx")
        assert imported.returncode == 0 and "导入完成" in imported.stdout, imported.stderr
        exported = cli("export", "台账.xlsx")
        assert exported.returncode == 0 and (tmp_path / "台账.xlsx").is_file(), exported.stderr
        invited = cli("invite", "李明")
        assert invited.returncode == 0 and invited.stdout.startswith("李明\t"), invited.stderr
        assert first.proc.poll() is None
        assert "财务科" in first.reply_to(admin, "/units")  # it sees the import

        # once the first has stopped, a new run starts on the same database
        rc, output = first.stop()
        assert rc == 0, output[-3000:]
        again = BotProcess(api, server, db, tmp_path / "again").start()
        try:
            assert "财务科" in again.reply_to(admin, "/units")
        finally:
            again.stop()
    finally:
        first.kill_if_running()
        server.stop()


def test_a_run_killed_with_minus_9_does_not_block_the_next(tmp_path: Path) -> None:
    api = FakeTelegram()
    server = FakeTelegramServer(api).start()
    db = tmp_path / "dutybot.db"
    first = BotProcess(api, server, db, tmp_path / "first")
    try:
        first.start()
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait()
        started = time.monotonic()
        second = BotProcess(api, server, db, tmp_path / "second").start()
        try:
            assert time.monotonic() - started < TIMEOUT
            assert lock_path(db).read_text(encoding="ascii") == f"{second.proc.pid}\n"
        finally:
            second.stop()
    finally:
        first.kill_if_running()
        server.stop()
