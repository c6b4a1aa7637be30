"""The kill sweep: `dutybot run` killed with SIGKILL at many points of a stream of commands
and taps, restarted each time, and then counted: every change applied once and none twice,
every command answered at least once, and an answer sent again only for a kill that fell
while it was in flight (sent, not yet marked sent): at most once more per such kill.

A kill point is the n-th Bot API call the process makes after it (re)started — a
getUpdates (stored or not yet), an answer in flight, an edit, a toast — either before the
call reaches "Telegram" (dropped unanswered) or a few milliseconds after it was answered.
Used by tests/test_process_kill.py (a few points) and bench/kill_sweep.py (many).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.fake_telegram import FakeTelegram, User
from bot.fake_telegram.api import Sent
from bot.fake_telegram.server import FakeTelegramServer
from storage.inbox import inbox_path
from tests.botprocess import ADMIN_ID, DUTYBOT, BotProcess, clean_env
from tests.workbooks import filled

COUNTED = ("getupdates", "sendmessage", "editmessagetext", "editmessagereplymarkup",
           "answercallbackquery")


@dataclass
class Tally:
    """Lost and duplicated, for the changes and for the answers."""

    kills: int = 0
    operations: int = 0
    points: list[str] = field(default_factory=list)
    changes_lost: list[str] = field(default_factory=list)
    changes_duplicated: list[str] = field(default_factory=list)
    answers_lost: list[str] = field(default_factory=list)
    answers_duplicated: list[str] = field(default_factory=list)  # again, for a kill in flight
    answers_over_allowed: list[str] = field(default_factory=list)  # more than kills allow

    @property
    def clean(self) -> bool:
        return not (self.changes_lost or self.changes_duplicated or self.answers_lost
                    or self.answers_over_allowed)

    def line(self) -> str:
        return (f"kills {self.kills}, operations {self.operations}: changes lost "
                f"{len(self.changes_lost)}, duplicated {len(self.changes_duplicated)}; answers "
                f"lost {len(self.answers_lost)}, sent again {len(self.answers_duplicated)} "
                f"(each for a kill while in flight), more often than that "
                f"{len(self.answers_over_allowed)}")


class Killer:
    """Kills the bot at the n-th counted call after each start, n and the manner drawn
    from a seeded random source."""

    def __init__(self, rng: random.Random, kills: int, max_calls: int) -> None:
        self.rng = rng
        self.left = kills
        self.max_calls = max_calls
        self.pid: int | None = None
        self.calls = 0
        self.at = 0
        self.lock = threading.Lock()
        self.points: list[str] = []  # where each kill fell
        self.times: list[float] = []  # when (time.time())

    def arm(self, pid: int) -> None:
        with self.lock:
            self.pid, self.calls = pid, 0
            self.at = self.rng.randint(1, self.max_calls) if self.left else 0

    def __call__(self, method: str) -> bool:
        with self.lock:
            if self.pid is None or not self.at or method.lower() not in COUNTED:
                return True
            self.calls += 1
            if self.calls < self.at:
                return True
            pid, self.pid = self.pid, None
            self.left -= 1
            before = self.rng.random() < 0.5
            delay = self.rng.choice((0.0, 0.002, 0.01, 0.03))
            self.points.append(f"{method} #{self.calls} " + (
                "before it reached Telegram" if before else f"{delay * 1000:.0f} ms after"))
        if before:
            self._kill(pid)
            return False  # it never reached Telegram
        threading.Timer(delay, self._kill, (pid,)).start()
        return True

    def _kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)
        self.times.append(time.time())


def _import_people(db: Path, workdir: Path, users: int) -> dict[str, str]:
    """People and one item each, imported by the CLI; their invite codes by name."""
    people = [(f"人员{j}", "支部书记", "某局党委", None, None, None) for j in range(users)]
    items = [(None, "措施", f"措施事项{j}", "一岗双责", f"人员{j}", None, None, "自查",
              "2027-03-31", None) for j in range(users)]
    book = workdir / "people.xlsx"
    book.write_bytes(filled(units=[("某局党委", None, "党委")], people=people, items=items))
    env = clean_env(DUTYBOT_DB_PATH=str(db))
    out = subprocess.run([str(DUTYBOT), "import", str(book)], env=env, cwd=workdir,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    codes = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0].startswith("人员"):
            codes[parts[0]] = parts[2]
    assert len(codes) == users, out
    return codes


def sweep(workdir: Path, *, kills: int, users: int = 4, units: int = 8, seed: int = 1,
          max_calls: int = 6, gap: float = 0.02,
          progress: Callable[[str], None] | None = None) -> Tally:
    """Run the stream with `kills` kills; return what was lost and duplicated."""
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    api = FakeTelegram()
    server = FakeTelegramServer(api).start()
    db = workdir / "dutybot.db"
    codes = _import_people(db, workdir, users)
    bot = BotProcess(api, server, db, workdir)
    admin = api.user(ADMIN_ID, "办公室郑晓")
    tally = Tally()
    try:
        bot.start()
        people: list[User] = []
        lists: list[Sent] = []
        for j in range(users):
            user = api.user(100 + j, f"人员{j}")
            assert bot.reply_to(user, f"/start {codes[f'人员{j}']}").startswith("✅ 绑定成功")
            lists.append(bot.say(user, "/mylist")[0])
            people.append(user)
        bot.settle()

        # the stream: the admin's new units; each person's tap and note, in any order
        operations: list[tuple[str, Callable[[], object]]] = []
        for k in range(units):
            operations.append((f"unit:{k}", lambda k=k: api.send_text(
                admin, f"/newunit 新单位{k} 某局党委")))
        for j, (user, page) in enumerate(zip(people, lists, strict=True)):
            operations.append((f"tap:{j}", lambda user=user, page=page: api.press_button(
                user, page, "进行中")))
            operations.append((f"note:{j}", lambda user=user, page=page, j=j: api.send_text(
                user, f"进展说明{j}：已完成第一轮核查", reply_to=page)))
            operations.append((f"help:{j}", lambda user=user: api.send_text(user, "/help")))
        rng.shuffle(operations)
        tally.operations = len(operations)

        killer = Killer(rng, kills, max_calls)
        server.before_call = killer
        killer.arm(bot.proc.pid)
        sent: dict[str, dict] = {}
        for name, act in operations:
            sent[name] = act()
            time.sleep(gap)
            _restart_if_killed(bot, killer, tally, progress)
        deadline = time.monotonic() + 3  # a kill due at the stream's tail still lands
        while killer.left and time.monotonic() < deadline:
            _restart_if_killed(bot, killer, tally, progress)
            time.sleep(0.02)
        server.before_call = None
        time.sleep(0.2)  # a kill timed a few milliseconds after its call lands first
        _restart_if_killed(bot, killer, tally, progress)
        bot.settle()
        bot.stop()
        tally.points = killer.points
        _count(tally, db, api, admin, people, units, sent, killer.times)
    finally:
        bot.kill_if_running()
        server.stop()
    return tally


def _restart_if_killed(bot: BotProcess, killer: Killer, tally: Tally,
                       progress: Callable[[str], None] | None) -> None:
    if bot.proc is None or bot.proc.poll() is None:
        return
    bot.proc.wait()
    tally.kills += 1
    if progress:
        progress(f"kill {tally.kills}: after call {killer.calls}; restarting")
    bot.start()
    killer.arm(bot.proc.pid)


def _count(tally: Tally, db: Path, api: FakeTelegram, admin: User, people: list[User],
           units: int, sent: dict[str, dict], kills: list[float]) -> None:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        def one(what: str, n: int) -> None:
            if n == 0:
                tally.changes_lost.append(what)
            elif n > 1:
                tally.changes_duplicated.append(what)

        def in_flight(what: str) -> int:
            """Kills between the update's arrival in the inbox and the moment it was done
            with: marked done, and its last answer marked sent. (An update that changed
            nothing is answered first and marked done after.)"""
            update_id = sent[what]["update_id"]
            with closing(sqlite3.connect(f"file:{inbox_path(db)}?mode=ro", uri=True)) as box:
                (received,) = box.execute("SELECT received_at FROM inbox WHERE update_id = ?",
                                          (update_id,)).fetchone()
            (done,) = conn.execute(
                "SELECT processed_at FROM processed_updates WHERE update_id = ?",
                (update_id,)).fetchone()
            (last_sent,) = conn.execute(
                "SELECT MAX(COALESCE(sent_at, created_at)) FROM outbox WHERE dedup_key LIKE ?",
                (f"answer:{update_id}:%",)).fetchone()
            start = datetime.fromisoformat(received).timestamp() - 0.05
            end = max(datetime.fromisoformat(t).timestamp() for t in (done, last_sent) if t)
            return sum(start <= t <= end + 0.05 for t in kills)

        def answered(what: str, n: int) -> None:
            if n == 0:
                tally.answers_lost.append(what)
            elif n > 1 + in_flight(what):
                tally.answers_over_allowed.append(what)
            elif n > 1:
                tally.answers_duplicated.append(what)

        admin_texts = [m.plain for m in api.bot_messages(admin.id)]
        for k in range(units):
            name = f"新单位{k}"
            one(f"unit:{k}", conn.execute("SELECT COUNT(*) FROM units WHERE name = ?",
                                          (name,)).fetchone()[0])
            answered(f"unit:{k}", sum(f"已新建单位“{name}”" in t for t in admin_texts))
        for j, user in enumerate(people):
            item_id = conn.execute("SELECT id FROM items WHERE title = ?",
                                   (f"措施事项{j}",)).fetchone()[0]
            one(f"tap:{j}", conn.execute(
                "SELECT COUNT(*) FROM events WHERE kind = 'item.status' AND subject_type = "
                "'item' AND subject_id = ?", (str(item_id),)).fetchone()[0])
            one(f"note:{j}", conn.execute(
                "SELECT COUNT(*) FROM events WHERE kind = 'item.note' AND subject_id = ? "
                "AND data LIKE ?", (str(item_id), f"%进展说明{j}%")).fetchone()[0])
            query = sent[f"tap:{j}"]["callback_query"]["id"]
            answered(f"tap:{j}", sum(a.callback_query_id == query for a in api.callback_answers))
            answered(f"note:{j}", sum("已记入" in m.plain for m in api.bot_messages(user.id)))
            answered(f"help:{j}", sum(m.plain.startswith("四责协同助手 · ")
                                      for m in api.bot_messages(user.id)))
