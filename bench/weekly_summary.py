"""Bench (d): the 纪委's weekly summary over a large organisation, next to a bare SQL count
of the same rows in the same run; and the chart's rendering time.

    .venv/bin/python bench/weekly_summary.py                     # 500 000 items, 10 000 people
    .venv/bin/python bench/weekly_summary.py --items 20000 --people 1000   # a quick look

Seeds the same organisation as bench/planner_tick.py (its `seed`, in a child process, with
the reminder history), then gives that history what the bot would have kept: each reminder
sent on the day it was planned, seven in ten of them answered, and the monthly response
tallies. So the non-responders and the response rates have millions of rows behind them.
Then times, best of three:

  (1) a bare count: one `SELECT COUNT(*) … GROUP BY status` over the items;
  (2) `SummaryService.summary()`: every set-based query and the pure summary (goal ≤ 2 s);
  (3) the text rendered (messages/summary.py) and split at 4096 characters;
  (4) the chart rendered to PNG (matplotlib, as the bot does in a worker thread).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import aiosqlite
from planner_tick import NOW, maxrss_mb, seed

from bot.clock import ManualClock
from bot.domain.calendar import WorkCalendar
from bot.rules import load_rules
from bot.services.summary import SummaryService
from messages.chart import render_chart
from messages.format import split_message
from messages.summary import chart_data, weekly
from storage.db import Database

# what delivery and acknowledgement would have written for the seeded history
HISTORY = (
    "UPDATE reminders SET sent_on = planned_for WHERE outbox_id IS NOT NULL",
    "UPDATE reminders SET acknowledged_at = planned_for || 'T10:00:00+08:00' "
    "WHERE outbox_id IS NOT NULL AND id % 10 < 7",
    "INSERT INTO response_tallies (person_id, month, reminded, answered) "
    "SELECT CAST(substr(recipient, 3) AS INTEGER), substr(sent_on, 1, 7), COUNT(*), "
    "SUM(acknowledged_at IS NOT NULL) FROM reminders "
    "WHERE recipient LIKE 'p:%' AND sent_on IS NOT NULL GROUP BY recipient, substr(sent_on, 1, 7)",
)


def give_history(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn, conn:
        for statement in HISTORY:
            conn.execute(statement)


async def best_of(times: int, run: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(times):
        started = time.perf_counter()
        result = await run()
        best = min(best, time.perf_counter() - started)
    return best, result


async def measure(path: Path) -> None:
    async with aiosqlite.connect(path) as conn:
        async def count() -> int:
            async with conn.execute("SELECT status, COUNT(*) FROM items GROUP BY status") as cur:
                return sum(n for _, n in await cur.fetchall())
        bare, items = await best_of(3, count)
    print(f"(1) bare count of {items} items: {bare:.3f} s", flush=True)

    db = await Database.open(path)
    rules = load_rules(None)
    service = SummaryService(db, ManualClock(NOW), WorkCalendar(rules.calendar))
    took, summary = await best_of(3, service.summary)
    await db.close()
    print(f"(2) summary: {took:.3f} s = {took / bare:.1f}× the bare count (goal ≤ 2 s); "
          f"{summary.red_total} overdue, {summary.yellow_total} due within 7 days, "
          f"{len(summary.by_unit)} units, {len(summary.silent)} non-responders", flush=True)

    started = time.perf_counter()
    parts = split_message(weekly(summary))
    print(f"(3) text: {time.perf_counter() - started:.3f} s, {len(parts)} message(s), "
          f"longest {max(len(p) for p in parts)} characters", flush=True)

    async def chart() -> bytes | None:
        return await asyncio.to_thread(render_chart, chart_data(summary))
    drawn, png = await best_of(3, chart)
    size = f"{len(png) // 1024} KiB" if png else "not drawn: no CJK font on this machine"
    print(f"(4) chart: {drawn:.3f} s, {size}", flush=True)
    print(f"maxrss {maxrss_mb():.0f} MiB")
    print("RESULT " + json.dumps({"items": items, "bare_s": bare, "summary_s": took,
                                  "chart_s": drawn, "maxrss_mb": maxrss_mb()}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=500_000)
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        started = time.perf_counter()
        child = multiprocessing.Process(target=seed, args=(path, args.items, args.people, True))
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(f"seeding failed (exit code {child.exitcode})")
        give_history(path)
        print(f"seeded {args.items} items, {args.people} people in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        asyncio.run(measure(path))


if __name__ == "__main__":
    main()
