"""Bench: the Excel 台账 export over a large organisation, next to bare scans of the
same rows in the same run.

    .venv/bin/python bench/export_ledger.py [--items 500000] [--people 10000]

Seeds a temporary database as bench/planner_tick.py does (its `seed`, without the reminder
history): 101 units, `--people` people, `--items` items on the three lists, about 85 %
active, every 问题 a parent for the next 责任 and every 责任 for the next 措施 (so the 传导链
column has chains to follow); then the 履责纪实 such a database would hold: an item.created
event per item and an item.status event per item that moved on, and one talk held per
hundred people. Then it times, in this order:

  (1) bare scans: SELECT COUNT(*) of items and events, and every column of both tables
      fetched through aiosqlite (what any export must at least read);
  (2) the export's reads alone: every row of its snapshot (LedgerSnapshot, its own
      read-only connection) turned into Ledger rows and dropped, no workbook;
  (3) the whole ExportService.export_for_console(): the reads streamed into the workbook
      (bot/xlsx.py) in the offloader's child process, and the event recorded.

The candidate writers side by side, the floor and today's writer are
bench/export_candidates.py's.

Prints the figures, the sheets' row counts, the file's size and the process's maxrss (the
lists and the events are streamed, so it should not grow with them). The seeding runs in
a child process and does not count. Nothing asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import resource
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import aiosqlite

sys.path.insert(0, str(Path(__file__).resolve().parent))

from planner_tick import NOW, seed

from bot.clock import ManualClock
from bot.offload import Offloader
from bot.services.export import ExportService
from messages.export import WORDS
from storage.db import Database
from storage.ledger import LedgerSnapshot

TALK_KINDS = ("廉政谈话", "提醒谈话", "工作约谈")  # of the one list (SPEC §11)


def seed_all(path: Path, items: int, people: int) -> None:
    seed(path, items, people, history=False)
    rng = random.Random(5)
    now = NOW.isoformat()
    with closing(sqlite3.connect(path)) as conn, conn:
        # the 传导 chain: each 责任 under the 问题 before it, each 措施 under the 责任 before it
        last: dict[str, int] = {}
        links = []
        for iid, kind in conn.execute("SELECT id, kind FROM items ORDER BY id"):
            parent_kind = {"responsibility": "problem", "measure": "responsibility"}.get(kind)
            if parent_kind and parent_kind in last:
                links.append((last[parent_kind], iid))
            last[kind] = iid
        conn.executemany("UPDATE items SET parent_id = ? WHERE id = ?", links)
        rows = conn.execute("SELECT id, code, kind, title, owner_id, due_date, status "
                            "FROM items ORDER BY id").fetchall()
        events = []
        for iid, code, kind, title, owner, due, status in rows:
            events.append((now, 1, "item.created", "item", str(iid), json.dumps(
                {"code": code, "kind": kind, "title": title, "owner": f"人员{owner}",
                 "due_date": due}, ensure_ascii=False)))
            if status != "open":
                events.append((now, owner, "item.status", "item", str(iid), json.dumps(
                    {"code": code, "action": "start", "from": "open", "to": status})))
        conn.executemany("INSERT INTO events (at, actor_person_id, kind, subject_type, "
                         "subject_id, data) VALUES (?, ?, ?, ?, ?, ?)", events)
        conn.executemany(
            "INSERT INTO talks (holder_id, counterpart_id, kind, held_on, note, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(1, pid, rng.choice(TALK_KINDS), "2026-06-30", "谈话情况良好", now)
             for pid in range(11, people + 1, 100)])


async def bare(path: Path) -> tuple[float, float, int, int]:
    async with aiosqlite.connect(path) as conn:
        started = time.perf_counter()
        counts = []
        for table in ("items", "events"):
            async with conn.execute(f"SELECT COUNT(*) FROM {table}") as cur:
                counts.append((await cur.fetchone())[0])
        count_s = time.perf_counter() - started
        started = time.perf_counter()
        fetched = 0
        for table in ("items", "events"):
            async with conn.execute(f"SELECT * FROM {table}") as cur:
                while chunk := await cur.fetchmany(10_000):
                    fetched += len(chunk)
        return count_s, time.perf_counter() - started, counts[0], counts[1]


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def say(text: str = "") -> None:
    print(text, flush=True)


def read_only(path: Path) -> dict[str, int]:
    """Every row the export reads, from its snapshot, without writing the workbook."""
    with LedgerSnapshot(path) as snapshot:
        ledger = snapshot.ledger(NOW)
        return {"units": len(ledger.units), "people": len(ledger.people),
                "lists": sum(1 for _ in ledger.lists),
                "obligations": sum(1 for _ in ledger.obligations),
                "talk items": len(ledger.talk_items), "talks": len(ledger.talks),
                "fixes": len(ledger.fixes), "verdicts": len(ledger.verdicts),
                "events": sum(1 for _ in ledger.events)}


async def bench(path: Path) -> None:
    count_s, fetch_s, items, events = await bare(path)
    say(f"items {items}; events {events}")
    say(f"(1) bare SELECT COUNT(*) x2      {count_s:8.3f} s")
    say(f"    bare fetch of every column   {fetch_s:8.3f} s   (items and events, aiosqlite)")
    started = time.perf_counter()
    read = await asyncio.to_thread(read_only, path)
    read_s = time.perf_counter() - started
    say(f"(2) the export's reads only      {read_s:8.3f} s   {read_s / fetch_s:5.2f}x the "
        f"bare fetch   maxrss {maxrss_mb():.0f} MiB")
    say("    " + ", ".join(f"{k} {v}" for k, v in read.items()))
    db = await Database.open(path)
    offload = Offloader(workers=1)  # one child, so that its peak below is the export's
    service = ExportService(db, ManualClock(NOW), offload)
    try:
        started_at = await offload.run(child_memory)
        started = time.perf_counter()
        result = await service.export_for_console(WORDS)
        whole_s = time.perf_counter() - started
        peak = await offload.run(child_memory)
        say(f"(3) export_for_console()         {whole_s:8.3f} s   "
            f"{len(result.data) / 2**20:.1f} MiB .xlsx   maxrss {maxrss_mb():.0f} MiB")
        say("    rows: " + ", ".join(f"{k} {v}" for k, v in result.counts.items()))
        say(f"    the child that wrote it: address space {started_at['VmSize']} MiB at start, "
            f"peak {peak['VmPeak']} MiB (+{peak['VmPeak'] - started_at['VmSize']} MiB; the "
            f"cap is +{offload.memory // 2**20}); peak RSS {peak['VmHWM']} MiB")
        say("RESULT " + json.dumps({"items": items, "events": events, "fetch_s": fetch_s,
                                    "read_s": read_s, "export_s": whole_s,
                                    "ratio_to_fetch": whole_s / fetch_s,
                                    "size_mb": len(result.data) / 2**20,
                                    "child_peak_rss_mb": peak["VmHWM"],
                                    "maxrss_mb": maxrss_mb()}))
    finally:
        offload.close()
        await db.close()


def child_memory() -> dict[str, int]:
    """In the offloader's child: its address space and resident memory, in MiB."""
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmSize", "VmPeak", "VmHWM"):
                found[key] = int(value.split()[0]) // 1024
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=500_000)
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    if args.people < 11:
        parser.error("--people must be at least 11 (the 书记, 班子成员 and 纪委书记 come first)")
    with tempfile.TemporaryDirectory(prefix="dutybot-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        started = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(
            target=seed_all, args=(path, args.items, args.people))
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(f"seeding failed (exit code {child.exitcode})")
        say(f"seeded {args.items} items for {args.people} people in "
            f"{time.perf_counter() - started:.1f} s "
            f"({path.stat().st_size / 2**20:.0f} MiB database)")
        asyncio.run(bench(path))


if __name__ == "__main__":
    main()
