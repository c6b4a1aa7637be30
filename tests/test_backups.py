"""The daily backup `dutybot run` takes by itself, its rotation, and `dutybot restore`.

The schedule is driven by a travelling clock (files appear once a day at the set time, the
rotation keeps exactly 7 daily + 4 weekly, a restart takes none twice, a missed one is taken
at the next start); a failure is told to the admins once; a backup, a damaged database and
a restore bring every row back; restore refuses what it must; and a backup killed with
SIGKILL never leaves a half file under a final name."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import ManualClock
from bot.config import load_settings
from bot.domain.backups import BackupNaming, is_due, to_keep
from bot.fake_telegram.driver import driven_bot
from bot.runlock import hold_run_lock
from bot.scheduling.scheduler import Scheduler
from bot.services.backups import Taken
from bot.services.registry import Services
from storage.backup import BackupError, BackupProblem
from storage.db import migration_scripts
from tests.conftest import ADMIN_ID, MONDAY, TZ, Org
from tests.test_cli import dutybot

LATEST = migration_scripts()[-1][0]
AT = clock_time(2, 30)
ROOT = Path(__file__).resolve().parent.parent


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def backup_settings(tmp_path: Path, **extra: object):
    return load_settings(DUTYBOT_DB_PATH=tmp_path / "bot.db", DUTYBOT_ADMIN_IDS=str(ADMIN_ID),
                         TELEGRAM_API_BASE_URL="https://api.telegram.org", **extra)


def ours(folder: Path) -> list[str]:
    naming = BackupNaming("bot", ".db")
    return sorted(n for n in os.listdir(folder) if naming.moment(n, TZ) is not None) \
        if folder.exists() else []


def counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def integrity(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


# --- the rules, plainly ----------------------------------------------------------------

def test_names_sort_by_date_and_only_ours_are_read():
    naming = BackupNaming("dutybot", ".db")
    moments = [at(date(2026, 12, d), h) for d, h in ((9, 2), (10, 14), (1, 23))]
    names = [naming.name(m) for m in moments]
    assert names[0] == "dutybot-2026-12-09-020000.db"
    assert sorted(names) == [naming.name(m) for m in sorted(moments)]
    assert [naming.moment(n, TZ) for n in names] == moments
    for foreign in ("dutybot.db", "notes.txt", "dutybot-2026-13-01-000000.db",
                    ".dutybot-2026-12-09-020000.db.x.partial", "other-2026-12-09-020000.db"):
        assert naming.moment(foreign, TZ) is None


def test_due_once_a_day_at_the_time_or_at_once_when_the_last_is_too_old():
    monday = date(2026, 11, 23)
    yesterday = [at(monday - timedelta(days=1), 2, 30)]
    assert not is_due(at(monday, 2, 29), AT, yesterday)
    assert is_due(at(monday, 2, 30), AT, yesterday)
    assert not is_due(at(monday, 23, 0), AT, [*yesterday, at(monday, 2, 30)])
    assert is_due(at(monday, 1, 0), AT, [at(monday - timedelta(days=3), 2, 30)])  # missed
    assert is_due(at(monday, 1, 0), AT, [])  # none yet
    assert not is_due(at(monday, 1, 0), AT, [at(monday - timedelta(days=1), 9, 0)])


def test_rotation_keeps_seven_days_and_four_mondays():
    start = date(2026, 11, 2)  # a Monday
    taken = [at(start + timedelta(days=n), 2, 30) for n in range(60)]
    kept = sorted(to_keep(taken, 7, 4))
    assert kept[-7:] == taken[-7:]
    weekly = kept[:-7]
    assert len(weekly) == 4 and all(m.weekday() == 0 for m in weekly)
    # a week whose Monday is missing keeps its first day that has one
    without_monday = [m for m in taken if m != weekly[-1]]
    assert weekly[-1] + timedelta(days=1) in to_keep(without_monday, 7, 4)


# --- the schedule on a travelling clock -------------------------------------------------

async def travel(settings, start: datetime, end: datetime, step=timedelta(minutes=30),
                 restart_every: int = 0) -> list[datetime]:
    """Ask for the backup every `step` from start to end (a restart: fresh services, as
    after a new `dutybot run`); when each was taken."""
    clock = ManualClock(start)
    services = await Services.open(settings, clock)
    taken = []
    n = 0
    try:
        while clock.now() <= end:
            result = await services.backups.run_if_due()
            assert not isinstance(result, BackupError), result
            if isinstance(result, Taken):
                taken.append(clock.now())
            n += 1
            if restart_every and n % restart_every == 0:
                await services.close()
                services = await Services.open(settings, clock)
            clock.advance(step)
    finally:
        await services.close()
    return taken


async def test_forty_days_one_a_day_at_the_time_and_seven_plus_four_kept(tmp_path):
    settings = backup_settings(tmp_path)
    start = at(date(2026, 11, 2), 9)  # a Monday, after the day's time: the first at once
    # restarts every 5 hours and 30 minutes: they fall at every time of day
    taken = await travel(settings, start, start + timedelta(days=40), restart_every=11)
    assert taken[0] == start
    assert [m.time() for m in taken[1:]] == [AT] * 40
    assert len({m.date() for m in taken}) == len(taken) == 41
    folder = tmp_path / "backups"
    names = ours(folder)
    naming = BackupNaming("bot", ".db")
    moments = [naming.moment(n, TZ) for n in names]
    assert moments[-7:] == taken[-7:]
    assert len(moments) == 11 and [m.weekday() for m in moments[:4]] == [0, 0, 0, 0]
    assert [p for p in os.listdir(folder) if p not in names] == []  # no halves, no strays
    for name in names:
        assert integrity(folder / name) == "ok"


async def test_a_restart_never_takes_two_and_a_missed_one_is_taken_at_start(tmp_path):
    settings = backup_settings(tmp_path)
    monday = date(2026, 11, 23)
    first = await travel(settings, at(monday, 1), at(monday, 12))
    assert first == [at(monday, 1)]  # none yet: at once
    # restarted all afternoon, every 10 minutes: nothing more that day
    again = await travel(settings, at(monday, 12), at(monday, 23, 50),
                         step=timedelta(minutes=10), restart_every=1)
    assert again == []
    # down from Tuesday to Thursday morning: taken when it starts, before the time
    late = await travel(settings, at(monday + timedelta(days=3), 1), at(monday + timedelta(days=3), 4))
    assert late == [at(monday + timedelta(days=3), 1)]
    assert len(ours(tmp_path / "backups")) == 2


async def test_the_clockwork_takes_it_beside_the_planning(tmp_path):
    settings = backup_settings(tmp_path, DUTYBOT_BACKUP_DIR=str(tmp_path / "nightly"),
                               DUTYBOT_BACKUP_TIME="03:15")
    clock = ManualClock(at(date(2026, 11, 23), 3, 0))
    services = await Services.open(settings, clock)
    try:
        scheduler = Scheduler(None, services, None)
        await services.backups.run_if_due()  # the first, at once (there was none)
        clock.advance(timedelta(days=1))  # Tuesday 03:00: not yet
        await scheduler.tick()
        assert await scheduler.backup_done() is None
        clock.advance(timedelta(minutes=15))
        await scheduler.tick()
        done = await scheduler.backup_done()
        assert isinstance(done, Taken) and done.result.path.parent == tmp_path / "nightly"
        assert done.result.path.name == "bot-2026-11-24-031500.db"
        await scheduler.stop()
    finally:
        await services.close()


async def test_a_backup_while_the_bot_writes_is_one_moment(tmp_path):
    settings = backup_settings(tmp_path)
    clock = ManualClock(MONDAY)
    services = await Services.open(settings, clock)
    live = settings.db_path
    stop = threading.Event()

    def writer() -> None:  # two rows per transaction: a torn copy would have an odd count
        with closing(sqlite3.connect(live, timeout=30)) as conn:
            n = 0
            while not stop.is_set():
                with conn:
                    conn.execute("INSERT INTO processed_updates VALUES (?, ?)", (2 * n, "x"))
                    conn.execute("INSERT INTO processed_updates VALUES (?, ?)", (2 * n + 1, "x"))
                n += 1

    try:
        with closing(sqlite3.connect(live)) as conn, conn:
            conn.executemany("INSERT INTO events (at, kind, subject_type, subject_id) "
                             "VALUES ('2026-11-23', 'filler', 'x', ?)",
                             [(str(n) * 200,) for n in range(20000)])
        thread = threading.Thread(target=writer)
        thread.start()
        try:
            time.sleep(0.05)
            result = await services.backups.run_if_due()
        finally:
            stop.set()
            thread.join()
    finally:
        await services.close()
    assert isinstance(result, Taken), result
    copied = counts(result.result.path)
    assert integrity(result.result.path) == "ok"
    assert copied["processed_updates"] % 2 == 0 and copied["events"] == 20000


# --- when it fails ----------------------------------------------------------------------

async def test_a_failed_backup_is_told_to_the_admins_once(tmp_path, api, admin, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    settings = backup_settings(tmp_path, DUTYBOT_BACKUP_DIR=str(blocker / "backups"))
    clock = ManualClock(at(date(2026, 11, 23), 2, 0))
    async with driven_bot(settings, api, clock) as bot:
        await bot.send(admin, "/start")  # the admin has opened the bot
        opened = len(api.bot_messages(ADMIN_ID))
        backups = bot.app.bot_data.services.backups
        first = await backups.run_if_due()
        assert isinstance(first, BackupError) and first.problem is BackupProblem.NOT_WRITABLE
        assert await backups.run_if_due() is None  # not again the same day
        for _ in range(3):  # it tries every day; the admins heard it once
            await morning(bot, clock)
            clock.set(clock.now().replace(hour=2, minute=30) + timedelta(days=1))
            assert isinstance(await backups.run_if_due(), BackupError)
        await morning(bot, clock)
        told = api.bot_messages(ADMIN_ID)[opened:]
        assert len(told) == 1
        text = told[0].plain
        assert "自动备份失败" in text and str(blocker / "backups") in text
        assert "没有写入权限" in text or "不是文件夹" in text or "路径中有一段" in text
        # fixed: the next day's backup is taken; a new failure later is told again
        blocker.unlink()
        clock.set(clock.now().replace(hour=2, minute=30) + timedelta(days=1))
        assert isinstance(await backups.run_if_due(), Taken)
        backups.engine = DiskFull(backups.engine)  # a later failure of another kind
        clock.set(clock.now().replace(hour=2, minute=30) + timedelta(days=1))
        assert isinstance(await backups.run_if_due(), BackupError)
        await morning(bot, clock)
        assert len(api.bot_messages(ADMIN_ID)) == opened + 2
        again = api.bot_messages(ADMIN_ID)[-1].plain
        assert "磁盘空间不足" in again and "上一次成功的备份是 2026-11-27 02:30" in again


class DiskFull:
    def __init__(self, engine) -> None:
        self.suffix = engine.suffix

    def take(self, target: Path):
        raise BackupError(BackupProblem.FAILED, target, detail="database or disk is full")


async def morning(bot, clock) -> None:
    """The outbox sent at 09:00 (nothing leaves it in the night's quiet hours)."""
    clock.set(clock.now().replace(hour=9, minute=0))
    await bot.sender.drain()


# --- restore ----------------------------------------------------------------------------

def restore(*args: str) -> int:
    return main(["restore", *args])


async def test_backup_damage_restore_every_row_back(tmp_path, api, admin, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = backup_settings(tmp_path)
    clock = ManualClock(MONDAY)
    async with driven_bot(settings, api, clock) as bot:
        org = await Org(bot, api, admin).build()
        code = await org.item("措施", "逐笔核查公务接待报销凭证", "一岗双责", "周支书",
                              "财务科党支部", "2026-11-27")
        taken = await bot.app.bot_data.services.backups.run_if_due()
        assert isinstance(taken, Taken)
        before = counts(settings.db_path)
        with closing(sqlite3.connect(settings.db_path)) as conn:
            people = conn.execute("SELECT id, name FROM persons ORDER BY id").fetchall()
            items = conn.execute("SELECT code, title FROM items").fetchall()
        assert before["persons"] == 5 and items == [(code, "逐笔核查公务接待报销凭证")]
    # damage: garbage over the middle of the file, then the end cut off
    live = settings.db_path
    size = live.stat().st_size
    with open(live, "r+b") as damaged:
        damaged.seek(size // 3)
        damaged.write(os.urandom(8192))
        damaged.truncate(size // 2)
    assert _broken(live)
    done = dutybot(tmp_path, "restore", str(taken.result.path), "--yes",
                   DUTYBOT_DB_PATH=str(live))
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 1 and "完整性检查通过" in done.stdout
    assert counts(live) == {**before, "events": before["events"] + 1}  # + the restore's own
    with closing(sqlite3.connect(live)) as conn:
        assert conn.execute("SELECT id, name FROM persons ORDER BY id").fetchall() == people
        assert conn.execute("SELECT code, title FROM items").fetchall() == items
        assert conn.execute("SELECT kind FROM events ORDER BY id DESC LIMIT 1").fetchone() \
            == ("database_restored",)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("bot.db.before-restore-")]
    assert len(aside) == 1 and aside[0].stat().st_size == size // 2  # the damaged one, kept


def _broken(path: Path) -> bool:
    try:
        return integrity(path) != "ok"
    except sqlite3.DatabaseError:
        return True


@pytest.fixture
def office(tmp_path, monkeypatch):
    """A database and a good backup of it; the settings in the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUTYBOT_DB_PATH", str(tmp_path / "bot.db"))
    assert main(["migrate"]) == 0
    with closing(sqlite3.connect(tmp_path / "bot.db")) as conn, conn:
        conn.execute("INSERT INTO units (name, kind, created_at) VALUES ('某局党委', 'party_committee', '2026-11-23')")
    assert main(["backup", str(tmp_path / "good.db")]) == 0
    return tmp_path


def refused(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("dutybot: restore: ") and err[0].endswith("数据库未改动。")
    return err[0]


def unchanged(office: Path) -> bool:
    return (not [p for p in office.iterdir() if "before-restore" in p.name]
            and counts(office / "bot.db")["units"] == 1)


def test_restore_refused_while_a_bot_runs(office, capsys):
    capsys.readouterr()
    with hold_run_lock(office / "bot.db"):
        assert restore(str(office / "good.db"), "--yes") == 1
    assert "请先停止 dutybot run" in refused(capsys)
    assert unchanged(office)


def test_restore_refused_without_yes_when_nobody_can_be_asked(office, capsys, monkeypatch):
    capsys.readouterr()
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    assert restore(str(office / "good.db")) == 1
    assert "--yes" in refused(capsys)
    assert unchanged(office)


@pytest.mark.parametrize(("kind", "words"), [
    ("missing", "找不到备份文件"),
    ("text", "不是 SQLite 数据库文件"),
    ("foreign", "不是 dutybot 的数据库"),
    ("newer", "请先升级 dutybot"),
    ("itself", "就是当前数据库本身"),
])
def test_restore_refuses_what_is_not_a_backup_of_ours(office, capsys, kind, words):
    capsys.readouterr()
    path = office / f"{kind}.db"
    if kind == "text":
        path.write_bytes(b"SQLite format 2\x00" + os.urandom(4000))
    if kind == "foreign":
        with closing(sqlite3.connect(path)) as conn, conn:
            conn.execute("CREATE TABLE contacts (name TEXT)")
            conn.execute("PRAGMA user_version = 3")
    if kind == "newer":
        path.write_bytes((office / "good.db").read_bytes())
        with closing(sqlite3.connect(path)) as conn:
            conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    if kind == "itself":
        path = office / "bot.db"
    assert restore(str(path), "--yes") == 1
    assert words in refused(capsys)
    assert unchanged(office)


def test_restore_of_a_good_backup_says_so_in_one_line(office, capsys):
    capsys.readouterr()
    assert restore(str(office / "good.db"), "--yes") == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith(f"已从 {office / 'good.db'} 恢复数据库")
    assert "原数据库另存为" in out[0]


def test_an_older_backup_is_brought_up_to_the_current_schema(office, capsys):
    old = office / "old.db"
    with closing(sqlite3.connect(old)) as conn:
        for version, _name, sql in migration_scripts():
            if version > 8:
                break
            conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
        with conn:
            conn.execute("INSERT INTO units (name, kind, created_at) "
                         "VALUES ('旧单位', 'department', '2026-01-05')")
    capsys.readouterr()
    assert restore(str(old), "--yes") == 0
    assert f"结构版本 8 已升级到 {LATEST}" in capsys.readouterr().out
    with closing(sqlite3.connect(office / "bot.db")) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
        assert conn.execute("SELECT name FROM units").fetchall() == [("旧单位",)]


@pytest.mark.parametrize(("answer", "code"), [("no", 1), ("", 1), ("yes", 0)])
def test_in_a_terminal_restore_asks_first(office, capsys, monkeypatch, answer, code):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    asked = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or answer)
    capsys.readouterr()
    assert restore(str(office / "good.db")) == code
    assert len(asked) == 1 and "输入 yes 确认" in asked[0]
    if code:
        assert "已取消" in refused(capsys)
        assert unchanged(office)
    else:
        assert not unchanged(office)  # the old database was kept aside


# --- kill -9 in the middle of a copy ----------------------------------------------------

_COPIER = """
import sys, time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo
import storage.backup as b
from bot.domain.backups import BackupNaming
b.PAGES_PER_STEP = 8
engine = b.backup_engine(Path(sys.argv[1]))
naming = BackupNaming("bot", engine.suffix)
folder = Path(sys.argv[2])
print("ready", flush=True)
n = 0
while True:  # one backup after another, each under the name of a new moment
    moment = datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai")).replace(
        microsecond=0) + __import__("datetime").timedelta(seconds=int(sys.argv[3]) * 1000 + n)
    engine.take(folder / naming.name(moment))
    n += 1
"""


def test_kill_9_during_backups_leaves_no_half_file_under_a_final_name(tmp_path):
    live = tmp_path / "bot.db"
    with closing(sqlite3.connect(live)) as conn, conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE filler (data BLOB)")
        conn.executemany("INSERT INTO filler VALUES (?)",
                         [(os.urandom(4000),) for _ in range(3000)])  # about 12 MB
    folder = tmp_path / "backups"
    folder.mkdir()
    rng = random.Random(23)
    kills = 8
    for k in range(kills):
        child = subprocess.Popen([sys.executable, "-c", _COPIER, str(live), str(folder), str(k)],
                                 cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    finals = ours(folder)
    halves = [n for n in os.listdir(folder) if n.endswith(".partial")]
    assert finals, "no backup was finished between the kills"
    assert len(halves) >= kills // 2, "the kills did not fall in the middle of a copy"
    for name in finals:  # every file under a final name is whole
        assert integrity(folder / name) == "ok"
        assert counts(folder / name) == {"filler": 3000}
    # the next scheduled backup removes the halves once they are an hour old
    from storage.backup import remove_leftovers
    assert remove_leftovers(folder, ".bot-", time.time() - 60) == []  # in progress, maybe
    assert remove_leftovers(folder, ".bot-", time.time() + 2 * 3600)
    assert [n for n in os.listdir(folder) if "partial" in n] == []


# --- the real `dutybot run` -------------------------------------------------------------

def test_dutybot_run_takes_one_at_start_restore_waits_for_it_to_stop(tmp_path):
    from bot.fake_telegram import FakeTelegram
    from bot.fake_telegram.server import FakeTelegramServer
    from tests.botprocess import BotProcess

    api = FakeTelegram()
    server = FakeTelegramServer(api).start()
    db = tmp_path / "dutybot.db"
    folder = tmp_path / "backups"
    bot = BotProcess(api, server, db, tmp_path)
    try:
        bot.start()  # no backup yet: the first tick takes one
        assert f"daily backups into {folder} at 02:30 (keeping 7 daily, 4 weekly)" in bot.output()
        bot.wait_for(lambda: f"daily backup {folder}{os.sep}" in bot.output(), "the first backup")
        [name] = [n for n in os.listdir(folder) if not n.startswith(".")]
        assert BackupNaming("dutybot", ".db").moment(name, TZ).date() == datetime.now(TZ).date()
        assert f"daily backup {folder / name}: " in bot.output()
        refusal = dutybot(tmp_path, "restore", str(folder / name), "--yes",
                          DUTYBOT_DB_PATH=str(db))
        assert refusal.returncode == 1 and "请先停止 dutybot run" in refusal.stderr
        bot.settle()
        bot.stop()
        bot.start()  # a restart the same day takes none
        bot.settle()
        time.sleep(1.5)
        assert os.listdir(folder) == [name]
        bot.stop()
        done = dutybot(tmp_path, "restore", str(folder / name), "--yes", DUTYBOT_DB_PATH=str(db))
        assert done.returncode == 0, done.stderr
    finally:
        bot.kill_if_running()
        server.stop()
