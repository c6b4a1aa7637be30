"""Bench (b): one planning tick over a large organisation, next to a bare indexed scan of
the same rows in the same run.

    .venv/bin/python bench/planner_tick.py [--items 500000] [--people 10000]
        [--no-history | --unmarked] [--profile]

Seeds a temporary database (the real migrations, then raw executemany): a tree of 101
units, one 党委书记, eight 班子成员 with 分管 units, one 纪委书记 and a registered 纪委
group, the rest 支部书记; items on the three lists with due dates spread over a year
around today, about 85 % active. Today is Monday 2026-11-23, 09:00 Asia/Shanghai, and no
plan has run today. Then it times, in this order:

  (1) the bare scan: the planner's SELECT through aiosqlite, fetched fully;
  (2) the planner's read and pure plan (ReminderRepo.candidates + planner.plan), no writes
      (the read leaves out items whose ladder ended, as plan_day's does);
  (3) the whole ReminderService.plan_day(): reminders, events and digests written.

Goal: (3) within 3 times (1). Obligations are left out (a Rules with none), so only the
plan is measured.

By default the database also holds the plan's history: every stage of every active item
whose day came before today is recorded as planned and sent, as if the bot had run each
workday, and so is the mark those ticks leave on an item whose every lane had its last
stage (items.plan_ended, migration 0005): the plan's read leaves such items out. That
makes (3) an ordinary day's tick. `--unmarked` leaves the marks out: (3) is then the first
tick after migration 0005, which reads every item once more and marks the ended ones.
`--no-history` leaves the history empty, so (3) is a first run over old data, catching up
every overdue step at once.

Peak memory: tracemalloc's peak for (2) and for (3), each measured in a separate run (on a
copy of the database for (3)) so that tracing does not slow the timed runs; and the
process's maxrss. The seeding runs in a child process and does not count.
`--profile` also runs (3) under cProfile on another copy and prints where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import json
import multiprocessing
import pstats
import random
import resource
import shutil
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import aiosqlite

from bot.clock import ManualClock
from bot.domain.calendar import WorkCalendar
from bot.domain.model import ACTIVE_STATUSES, Person, Role, Unit, UnitKind
from bot.domain.planner import (
    Org,
    PlanItem,
    finished,
    horizon,
    ladders,
    plan,
    recipients,
    stage_day,
)
from bot.rules import load_rules
from bot.services.reminders import ReminderService
from storage.db import Database

T = TypeVar("T")

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday, a workday
TODAY = NOW.date()
SPREAD_DAYS = 182  # due dates fall within half a year either side of today
DISCIPLINE_CHAT = -100_777_000
FIRST_USER_ID = 700_000_000
ACTIVE = tuple(sorted(s.value for s in ACTIVE_STATUSES))
STATUSES = (("open", 55), ("in_progress", 20), ("returned", 5), ("extension_requested", 5),
            ("done", 10), ("verified", 5))
KINDS = (("problem", "W"), ("responsibility", "Z"), ("measure", "C"))
DUTIES = ("principal", "supervision", "first", "dual")
SCAN = (f"SELECT id, owner_id, unit_id, due_date FROM items "
        f"WHERE status IN ({','.join('?' * len(ACTIVE))}) AND due_date <= ?")


# Seeding (in a child process) -----------------------------------------------------------

def org_shape(people: int) -> tuple[dict[int, Unit], dict[int, Person]]:
    """101 units (党委; ten second-level units, one of them the 纪委; nine 支部 under each)
    and `people` people: 书记 1, 班子成员 2-9 with 分管, 纪委书记 10, then 支部书记."""
    units = {1: Unit(1, "某局党委", UnitKind.COMMITTEE)}
    for n in range(10):
        uid = 2 + n
        name, kind = (("局纪委", UnitKind.SUBORDINATE) if n == 9
                      else (f"第{n + 1}部门", UnitKind.DEPARTMENT))
        units[uid] = Unit(uid, name, kind, 1)
        for b in range(9):
            bid = 12 + n * 9 + b
            units[bid] = Unit(bid, f"第{n + 1}部门第{b + 1}党支部", UnitKind.BRANCH, uid)
    branches = [u.id for u in units.values() if u.kind is UnitKind.BRANCH]
    persons = {1: Person(1, "书记", 1, frozenset({Role.SECRETARY}))}
    for m in range(8):  # 分管: one department each, the first two a second one too
        oversees = {2 + m} | ({10 + m} if m < 2 else set())
        persons[2 + m] = Person(2 + m, f"班子成员{m + 1}", 1, frozenset({Role.MEMBER}),
                                frozenset(oversees))
    persons[10] = Person(10, "纪委书记", 11, frozenset({Role.DISCIPLINE_SECRETARY}))
    for pid in range(11, people + 1):
        persons[pid] = Person(pid, f"支书{pid:05d}", branches[pid % len(branches)],
                              frozenset({Role.BRANCH_SECRETARY}))
    return units, {pid: dataclasses.replace(p, telegram_user_id=FIRST_USER_ID + pid)
                   for pid, p in persons.items()}


def item_rows(count: int, persons: dict[int, Person], rng: random.Random) -> Iterator[tuple]:
    owners = list(persons.values())
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    now = NOW.isoformat()
    for iid in range(1, count + 1):
        owner = rng.choice(owners)
        kind, prefix = rng.choice(KINDS)
        due = TODAY + timedelta(days=rng.randint(-SPREAD_DAYS, SPREAD_DAYS))
        status = rng.choices(statuses, weights)[0]
        yield (iid, f"{prefix}{iid:06d}", kind, f"第{iid}项整改事项", rng.choice(DUTIES),
               owner.id, owner.unit_id, due.isoformat(), status, now, now)


def history_rows(conn: sqlite3.Connection, units: dict[int, Unit], persons: dict[int, Person]
                 ) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Every stage of every active item whose day came before today, as the daily ticks
    would have planned it (the planner's own ladders, stage days and recipients), each
    in an already-sent message: one synthetic sent outbox row per recipient. And the mark
    those ticks leave on an item whose every lane had its last stage (items.plan_ended)."""
    rules = load_rules(None)
    calendar = WorkCalendar(rules.calendar)
    lanes = ladders(rules.policy)
    last = finished(rules.policy)
    marks = []
    org = Org(persons, units, (DISCIPLINE_CHAT,))
    past: dict[str, list] = {}  # due date -> [(stage, day)] for stages before today
    reminders = []
    outbox: dict[str, int] = {}
    rows = conn.execute(SCAN, (*ACTIVE, (TODAY + timedelta(days=60)).isoformat()))
    for iid, owner_id, unit_id, due_text in rows:
        stages = past.get(due_text)
        if stages is None:
            due = date.fromisoformat(due_text)
            stages = past[due_text] = [
                (s, stage_day(due, s, calendar)) for ladder in lanes.values() for s in ladder
                if stage_day(due, s, calendar) < TODAY]
        item = PlanItem(iid, owner_id, unit_id, date.fromisoformat(due_text))
        had = set()
        for stage, day in stages:
            for r in recipients(item, stage, org):
                box = outbox.setdefault(r.key, len(outbox) + 1)
                reminders.append((r.key, iid, stage.label, due_text, day.isoformat(), box))
                had.add(stage.label)
        if had >= set(last):
            marks.append((f"{due_text} {','.join(last)}", iid))
    sent = (TODAY - timedelta(days=1)).isoformat()
    boxes = [(box, f"history:{key}", persons[int(key[2:])].telegram_user_id
              if key[0] == "p" else int(key[2:]), "digest" if key[0] == "p" else "group_digest",
              sent, sent, sent, sent) for key, box in outbox.items()]
    return boxes, reminders, marks


def seed(path: Path, items: int, people: int, history: bool, marked: bool = True) -> None:
    """Raw executemany into the migrated schema: the repositories add one row per few
    round trips, which at half a million items is set-up time that measures nothing."""
    asyncio.run(_migrate(path))
    rng = random.Random(3)
    units, persons = org_shape(people)
    now = NOW.isoformat()
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executemany("INSERT INTO units (id, name, kind, parent_id, created_at) "
                         "VALUES (?, ?, ?, ?, ?)",
                         [(u.id, u.name, u.kind.value, u.parent_id, now)
                          for u in units.values()])
        conn.executemany("INSERT INTO persons (id, name, unit_id, telegram_user_id, "
                         "created_at) VALUES (?, ?, ?, ?, ?)",
                         [(p.id, p.name, p.unit_id, p.telegram_user_id, now)
                          for p in persons.values()])
        conn.executemany("INSERT INTO person_roles (person_id, role) VALUES (?, ?)",
                         [(p.id, r.value) for p in persons.values() for r in p.roles])
        conn.executemany("INSERT INTO person_oversight (person_id, unit_id) VALUES (?, ?)",
                         [(p.id, u) for p in persons.values() for u in p.oversees])
        conn.execute("INSERT INTO groups (chat_id, kind, title, unit_id, registered_at) "
                     "VALUES (?, 'discipline', '局纪委工作群', 11, ?)", (DISCIPLINE_CHAT, now))
        conn.executemany(
            "INSERT INTO items (id, code, kind, title, duty, owner_id, unit_id, due_date, "
            "status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            item_rows(items, persons, rng))
        if history:
            boxes, reminders, marks = history_rows(conn, units, persons)
            if marked:
                conn.executemany("UPDATE items SET plan_ended = ? WHERE id = ?", marks)
            conn.executemany(
                "INSERT INTO outbox (id, dedup_key, address, kind, day, payload, status, "
                "parts_sent, next_attempt_at, created_at, sent_at) "
                "VALUES (?, ?, ?, ?, ?, '{}', 'sent', 1, ?, ?, ?)", boxes)
            conn.executemany(
                "INSERT INTO reminders (recipient, item_id, stage, due_date, planned_for, "
                "outbox_id) VALUES (?, ?, ?, ?, ?, ?)", reminders)


async def _migrate(path: Path) -> None:
    db = await Database.open(path)
    await db.migrate()
    await db.close()


# Measuring ----------------------------------------------------------------------------------

async def timed(run: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    started = time.perf_counter()
    result = await run()
    return time.perf_counter() - started, result


async def best_of(times: int, run: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    results = [await timed(run) for _ in range(times)]
    return min(r[0] for r in results), results[-1][1]


async def traced_peak(run: Callable[[], Awaitable[Any]]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        await run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def service_on(db: Database) -> ReminderService:
    """The bot's ReminderService at NOW, with no obligations to materialise."""
    rules = dataclasses.replace(load_rules(None), obligations=())
    return ReminderService(db, ManualClock(NOW), rules, WorkCalendar(rules.calendar),
                           frozenset())


async def bare_scan(path: Path, until: date) -> int:
    async with aiosqlite.connect(path) as conn, conn.execute(
            SCAN, (*ACTIVE, until.isoformat())) as cur:
        rows = await cur.fetchall()
    return len(rows)


async def read_and_plan(service: ReminderService, until: date) -> tuple[int, int, float]:
    policy = await service.policy()
    async with service.db.read() as tx:
        items, planned = await tx.reminders.candidates(until, finished(policy))
    started = time.perf_counter()
    pushes = plan(items, planned, TODAY, service.calendar, policy)
    return len(items), len(pushes), time.perf_counter() - started


async def read_and_plan_on(path: Path, until: date) -> None:
    db = await Database.open(path)
    try:
        await read_and_plan(service_on(db), until)
    finally:
        await db.close()


async def plan_day_on(path: Path) -> float:
    """Seconds of plan_day() on that file (opening and closing it not counted)."""
    db = await Database.open(path)
    try:
        return (await timed(service_on(db).plan_day))[0]
    finally:
        await db.close()


async def counts(db: Database) -> tuple[int, int]:
    """(events, pending outbox messages)."""
    async with db.read() as tx:
        return await tx.events.count(), await tx.outbox.pending_count()


async def bench(path: Path, profile: bool) -> None:
    copies = [path.with_name(f"copy{n}.db") for n in range(2 if profile else 1)]
    # the tick writes, so each of its three timed runs has a fresh copy of its own (the
    # scan's and the plan's are best of three too: one tick alone swung by a third)
    ticks = [path.with_name(f"tick{n}.db") for n in (1, 2)]
    for copy in copies + ticks:
        shutil.copyfile(path, copy)
    db = await Database.open(path)
    service = service_on(db)
    until = TODAY + timedelta(days=horizon(await service.policy()))
    with closing(sqlite3.connect(path)) as conn:
        (rows,) = conn.execute("SELECT COUNT(*) FROM items").fetchone()
        (history,) = conn.execute("SELECT COUNT(*) FROM reminders").fetchone()
        (ended,) = conn.execute(
            "SELECT COUNT(*) FROM items WHERE plan_ended IS NOT NULL").fetchone()
        query_plan = conn.execute(f"EXPLAIN QUERY PLAN {SCAN}",
                                  (*ACTIVE, until.isoformat())).fetchall()
    say(f"today {NOW:%Y-%m-%d %H:%M %Z} ({NOW:%A}); items {rows}; planned reminders "
        f"already on record {history}; items whose ladder ended {ended}; scan up to due "
        f"date {until}")
    say("scan plan: " + "; ".join(r[-1] for r in query_plan))
    rss_before = maxrss_mb()
    say()

    scan_s, scanned = await best_of(3, lambda: bare_scan(path, until))
    say(f"(1) bare indexed scan            {scan_s:8.3f} s   {scanned} rows (best of 3)")
    read_s, (candidates, pushes, plan_s) = await best_of(3, lambda: read_and_plan(service,
                                                                                 until))
    say(f"(2) candidates + plan, no write  {read_s:8.3f} s   {read_s / scan_s:5.2f}x (1)   "
        f"of which plan() {plan_s:.3f} s (best of 3)")
    events_before, pending_before = await counts(db)
    tick_s, written = await timed(service.plan_day)
    events_after, pending_after = await counts(db)
    await db.close()
    for copy in ticks:
        tick_s = min(tick_s, await plan_day_on(copy))
        copy.unlink()
    say(f"(3) plan_day(), all written      {tick_s:8.3f} s   {tick_s / scan_s:5.2f}x (1)   "
        f"goal <= 3x (best of 3, each on its own copy)")
    say(f"candidates {candidates}; pushes {pushes}; reminder rows written {written}; "
        f"events written {events_after - events_before}; "
        f"digests queued {pending_after - pending_before}")
    say("RESULT " + json.dumps({"items": rows, "scan_s": scan_s, "plan_s": read_s,
                                "plan_ratio": read_s / scan_s, "tick_s": tick_s,
                                "tick_ratio": tick_s / scan_s, "pushes": pushes}))
    rss_timed = maxrss_mb()

    read_peak = await traced_peak(lambda: read_and_plan_on(path, until))
    say(f"tracemalloc peak of (2)          {read_peak / 2**20:8.1f} MiB")
    tick_peak = await traced_peak(lambda: plan_day_on(copies[0]))
    say(f"tracemalloc peak of (3)          {tick_peak / 2**20:8.1f} MiB (on a copy)")
    say(f"maxrss: {rss_before:.1f} MiB before measuring, {rss_timed:.1f} MiB after the "
        f"timed runs, {maxrss_mb():.1f} MiB at the end (traced runs included)")

    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        await plan_day_on(copies[1])
        profiler.disable()
        say("\ncProfile of (3) on a copy (main thread only: SQLite runs in aiosqlite's "
            "thread, so waiting for it shows as the event loop's select):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def say(text: str = "") -> None:
    """Print at once: a long run shows each figure as soon as it is measured."""
    print(text, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=500_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--no-history", action="store_true",
                        help="no earlier plan on record: (3) catches up every overdue step")
    parser.add_argument("--unmarked", action="store_true",
                        help="history without the marks of ended ladders: (3) is the first "
                             "tick after migration 0005, which marks them")
    parser.add_argument("--profile", action="store_true",
                        help="also profile plan_day() with cProfile")
    args = parser.parse_args()
    if args.people < 11:
        parser.error("--people must be at least 11 (the 书记, 班子成员 and 纪委书记 come first)")
    with tempfile.TemporaryDirectory(prefix="dutybot-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        started = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(
            target=seed,
            args=(path, args.items, args.people, not args.no_history, not args.unmarked))
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(f"seeding failed (exit code {child.exitcode})")
        say(f"seeded {args.items} items for {args.people} people in "
            f"{time.perf_counter() - started:.1f} s "
            f"({path.stat().st_size / 2**20:.0f} MiB database)")
        asyncio.run(bench(path, args.profile))


if __name__ == "__main__":
    main()
