"""Bench (c): importing a large office's workbook.

    .venv/bin/python bench/import_workbook.py [--people 500] [--items 5000]

Writes the template (as `dutybot template` does) and fills it like a 局党委's 台账: 101 units
(the 党委, ten 二级党组织 and 部门, ninety 党支部), the people (one 党委书记, eight 班子成员
with 分管 units, one 纪委书记, five 纪委委员, the rest 支部书记 with a phone number), and
the three lists: a fifth 问题 and two fifths 责任 with a 编号, two fifths 措施 without one
(the bot numbers them), each 责任 and 措施 under a parent, due dates as real Excel dates
and as text, a few statuses. Then, on a temporary database with the real migrations, times:

  (1) openpyxl reading the file into plain rows (read-only mode, in this thread);
  (2) checking every row and planning the merge against the empty database (pure);
  (3) the whole import as `dutybot import` and an upload run it (goal: under 10 s);
  (4) the same file again: nothing changes;
  (5) the file with one row in ten changed: those rows updated, each with its event.

And the floor of (3) (issue 25, point 3: goal (3) ≤ 2× it): (1) plus one `executemany` per
table of the same rows into the same tables of an empty migrated database (units, persons,
items; names and codes resolved to ids with dicts, one transaction) — what any importer of
this file must pay, with no checking, no events, no invites.

Prints the file's size (an upload must stay under 5 MB) and, for each step, what it did.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import resource
import sqlite3
import tempfile
import time
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl

from bot.clock import ManualClock
from bot.config import load_settings
from bot.domain.model import Actor
from bot.domain.workbook import ITEMS, PEOPLE, SHEETS, UNITS, Stored, plan_import, read_rows
from bot.services.registry import Services
from bot.workbook_io import read_workbook, write_template
from messages.imports import template_help

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
OFFICE = Actor(telegram_user_id=None, bootstrap_admin=True)
DUTIES = ("主体责任", "监督责任", "第一责任", "一岗双责")
SOURCES = ("自查", "巡察", "审计", "专项检查", "纪委监督", "民主生活会")
STATUSES = (None, None, None, "进行中", "已完成")


def make_workbook(people: int, items: int, seed: int = 6) -> tuple[bytes, list[list[object]]]:
    """The filled-in template as bytes, and its 清单 rows (to change some later)."""
    rng = random.Random(seed)
    buffer = io.BytesIO()
    write_template(buffer, template_help())
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    top = "某局党委"
    seconds = [f"第{n}党总支" if n % 2 else f"第{n}处" for n in range(1, 11)]
    branches = [(f"{seconds[n % 10]}第{n}党支部", seconds[n % 10]) for n in range(90)]
    units = [(top, None, "党委")]
    units += [(s, top, "二级党组织" if "党总支" in s else "部门") for s in seconds]
    units += [(b, parent, "党支部") for b, parent in branches]
    for row in units:
        book[UNITS].append(list(row))
    staff: list[tuple[str, str]] = [("陈书记", top)]
    book[PEOPLE].append(["陈书记", "党委书记", top, None, None, None])
    for n in range(8):
        book[PEOPLE].append([f"班子{n}", "班子成员", top, "、".join(seconds[n:n + 2]), None, None])
        staff.append((f"班子{n}", top))
    book[PEOPLE].append(["刘纪委", "纪委书记", top, None, None, None])
    for n in range(5):
        book[PEOPLE].append([f"纪检{n}", "纪委委员", top, None, None, None])
    for n in range(people - len(staff) - 6):
        unit = branches[n % len(branches)][0]
        book[PEOPLE].append([f"支书{n:03d}", "支部书记", unit, None, 13800000000 + n, None])
        staff.append((f"支书{n:03d}", unit))
    problems, duties_ = items // 5, items * 2 // 5
    rows: list[list[object]] = []
    for n in range(items):
        name, unit = staff[rng.randrange(len(staff))]
        due = date(2026, 1, 1) + timedelta(days=rng.randrange(540))
        due_cell: object = due if n % 2 else f"{due.year}/{due.month}/{due.day}"
        if n < problems:
            code, kind, parent = f"W{n:05d}", "问题", None
        elif n < problems + duties_:
            code, kind, parent = f"Z{n:05d}", "责任", f"W{rng.randrange(problems):05d}"
        else:
            code, kind = None, "措施"
            parent = f"Z{problems + rng.randrange(duties_):05d}"
        rows.append([code, kind, f"{kind}事项第{n}项：落实全面从严治党要求", DUTIES[n % 4],
                     name, unit, parent, SOURCES[n % 6], due_cell, STATUSES[n % 5]])
    for row in rows:
        book[ITEMS].append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), rows


def with_changes(rows: list[list[object]], people: int) -> bytes:
    """The same workbook with the due date of one item in ten moved by a week."""
    changed = [list(r) for r in rows]
    for row in changed[::10]:
        due = row[8]
        if isinstance(due, str):
            due = datetime.strptime(due, "%Y/%m/%d").date()
        row[8] = due + timedelta(days=7)
    data, _ = make_workbook(people, len(rows))
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book[ITEMS]
    for index, row in enumerate(changed, start=3):  # row 2 is the template's example
        sheet.cell(index, 9).value = row[8]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts(db: Path) -> tuple[int, ...]:
    with closing(sqlite3.connect(db)) as conn:
        return tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                     for t in ("units", "persons", "items", "invites", "events"))


def floor_write(db: Path, raw, now: datetime) -> None:
    """The same rows into the same tables, bare: one executemany per table, one commit."""
    at = now.isoformat()
    units_sheet, people_sheet, items_sheet = (
        [(n, (*v, *(None,) * (12 - len(v)))) for n, v in raw.sheets[name].rows
         if not str(v[0] if v[0] is not None else v[2]).startswith("（示例）")]  # as the import
        for name in SHEETS)
    unit_ids = {values[0]: n for n, (_, values) in enumerate(units_sheet, start=1)}
    units = [(unit_ids[v[0]], v[0], v[2] or "党支部", unit_ids.get(v[1]), at)
             for _, v in units_sheet]
    person_ids = {values[0]: n for n, (_, values) in enumerate(people_sheet, start=1)}
    persons = [(person_ids[v[0]], v[0], unit_ids[v[2]], None if v[4] is None else str(v[4]),
                at) for _, v in people_sheet]
    codes = {}
    items = []
    for n, (_, v) in enumerate(items_sheet, start=1):
        code = v[0] or f"C{n:06d}"
        codes[code] = n
        due = v[8] if isinstance(v[8], str) else v[8].date().isoformat() \
            if isinstance(v[8], datetime) else str(v[8])
        items.append([n, code, v[1], v[2], v[3], person_ids[v[4]], unit_ids[v[5]], v[6],
                      v[7], due, v[9] or "未开始", at, at])
    for row in items:
        row[7] = codes.get(row[7])
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.executemany("INSERT INTO units (id, name, kind, parent_id, created_at) "
                         "VALUES (?, ?, ?, ?, ?)", units)
        conn.executemany("INSERT INTO persons (id, name, unit_id, phone, created_at) "
                         "VALUES (?, ?, ?, ?, ?)", persons)
        conn.executemany("INSERT INTO items (id, code, kind, title, duty, owner_id, unit_id, "
                         "parent_id, source, due_date, status, created_at, updated_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", items)


def summary(plan) -> str:
    return " · ".join(f"{s} +{plan.created(s)} ~{plan.updated(s)} ={plan.unchanged[s]}"
                      for s in SHEETS)


async def bench(people: int, items: int) -> None:
    started = time.perf_counter()
    data, rows = make_workbook(people, items)
    fits = "under" if len(data) < 5 << 20 else "OVER"
    print(f"workbook: {len(data) / 1024 / 1024:.2f} MB ({fits} the 5 MB upload limit), "
          f"{people} people, {items} items, 101 units; "
          f"made in {time.perf_counter() - started:.1f} s", flush=True)

    started = time.perf_counter()
    raw = read_workbook(data)
    read_s = time.perf_counter() - started
    print(f"(1) openpyxl read-only into plain rows: {read_s:.2f} s", flush=True)

    started = time.perf_counter()
    parsed, errors = read_rows(raw)
    plan, errors = plan_import(parsed, Stored({}, {}, {}, {}), errors)
    assert not errors, errors[:5]
    plan_s = time.perf_counter() - started
    print(f"(2) check every row and plan (pure): {plan_s:.2f} s  "
          f"[{summary(plan)}]", flush=True)

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        settings = load_settings(DUTYBOT_DB_PATH=db)
        services = await Services.open(settings, ManualClock(NOW))
        try:
            started = time.perf_counter()
            result = await services.imports.import_file(OFFICE, data, "bench.xlsx")
            total = time.perf_counter() - started
            verdict = "ok" if total < 10 else "OVER the goal"
            print(f"(3) the whole import: {total:.2f} s (goal < 10 s: {verdict})  "
                  f"[{summary(result.plan)}; {len(result.invites)} invites]", flush=True)
            print(f"    stored: units, persons, items, invites, events = {counts(db)}",
                  flush=True)

            started = time.perf_counter()
            again = await services.imports.import_file(OFFICE, data, "bench.xlsx")
            print(f"(4) the same file again: {time.perf_counter() - started:.2f} s  "
                  f"[{summary(again.plan)}]; stored {counts(db)}", flush=True)

            changed = with_changes(rows, people)
            started = time.perf_counter()
            third = await services.imports.import_file(OFFICE, changed, "bench-v2.xlsx")
            changed_s = time.perf_counter() - started
            print(f"(5) one item in ten changed: {changed_s:.2f} s  "
                  f"[{summary(third.plan)}]; stored {counts(db)}", flush=True)
            floor_db = Path(folder) / "floor.db"
            floor_services = await Services.open(load_settings(DUTYBOT_DB_PATH=floor_db),
                                                 ManualClock(NOW))  # the same migrations
            await floor_services.close()
            started = time.perf_counter()
            floor_raw = read_workbook(data)
            floor_write(floor_db, floor_raw, NOW)
            floor_s = time.perf_counter() - started
            floor_rows = counts(floor_db)[:3]
            print(f"    floor: openpyxl read-only + one executemany per table: {floor_s:.2f} s "
                  f"(units, persons, items = {floor_rows}); the import is "
                  f"{total / floor_s:.2f}x it (goal ≤ 2x)", flush=True)
            # peak RSS of this process and of the child that read the file (bot/offload.py)
            rss = max(resource.getrusage(who).ru_maxrss
                      for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
            print("RESULT " + json.dumps({"items": items, "people": people,
                                          "size_mb": len(data) / 2**20, "read_s": read_s,
                                          "plan_s": plan_s, "import_s": total,
                                          "ratio_to_read": total / read_s,
                                          "floor_s": floor_s,
                                          "ratio_to_floor": total / floor_s,
                                          "changed_s": changed_s, "peak_rss_mb": rss}),
                  flush=True)
        finally:
            await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--items", type=int, default=5000)
    args = parser.parse_args()
    asyncio.run(bench(args.people, args.items))


if __name__ == "__main__":
    main()
