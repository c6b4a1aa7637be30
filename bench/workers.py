"""Bench: the outbox drained by 1, 2 and 4 `dutybot run` processes on one PostgreSQL (issue
23 §3), as real processes, into a fake Bot API that answers 429 over Telegram's 30 a second.

    NO_PROXY=127.0.0.1,localhost .venv/bin/python bench/workers.py [--count 5000]
        [--workers 1,2,4] [--kill] [--planner-items 500000 --people 10000]

For each number of workers: a fresh database (a throwaway cluster, tests/postgres_cluster.py),
`count` answers queued to `count / 5` private chats (so the per-chat window counts too),
the workers started together, the time from the first accepted send to the last. `--kill`
kills one worker with SIGKILL a third of the way through (with two or more). Prints per run
the drain rate, its ratio to the fake's ceiling (the processes share 27/s, so ≈ 0.9 is
the most), the 429s, the most sends in any second, the messages lost and sent twice, and
the `RESULT {json}` line last. `--planner-items N` also times one planning tick over N
items on SQLite and on PostgreSQL (`--workers ""`: that alone).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.fake_telegram import FakeTelegram  # noqa: E402
from bot.fake_telegram.server import FakeTelegramServer  # noqa: E402
from tests import test_workers_postgres as w  # noqa: E402
from tests.postgres_cluster import Cluster, find_bin  # noqa: E402

CEILING = 30


def one_run(cluster: Cluster, workers: int, count: int, kill: bool, tmp: Path) -> dict:
    url = cluster.new_database()
    api = FakeTelegram(send_rate_limit=CEILING)
    server = FakeTelegramServer(api).start()
    w.MESSAGES, w.CHATS = count, max(1, count // 5)
    bots = [w.worker(api, server, tmp / f"w{workers}", f"p{n}", url) for n in range(workers)]
    try:
        w.migrate(url)
        w.queue_messages(url, api)
        for bot in bots:
            bot.start()
        killed = 0
        deadline = time.monotonic() + count / 10 + 120
        while len(w.delivered(api)) < count and time.monotonic() < deadline:
            if kill and not killed and len(bots) > 1 and sum(w.delivered(api).values()) > count / 3:
                w.kill(bots[-1])
                killed = 1
            time.sleep(0.1)
        sent = w.delivered(api)
        times = sorted(t for t, _chat in api.send_log)
        elapsed = (times[-1] - times[0]) if len(times) > 1 else 0.0
        rate = (len(times) - 1) / elapsed if elapsed else 0.0
        return {"workers": workers, "delivered": len(sent), "count": count,
                "lost": count - len(sent), "twice": sum(n - 1 for n in sent.values() if n > 1),
                "kills": killed, "elapsed_s": round(elapsed, 2), "rate": round(rate, 2),
                "ratio": round(rate / CEILING, 3), "throttled": api.throttled,
                "most_in_a_second": api.most_sent(1.0)}
    finally:
        for bot in bots:
            bot.kill_if_running()
        server.stop()
        cluster.drop_database(url)


def planner_tick(cluster: Cluster, items: int, people: int, tmp: Path) -> dict:
    """bench/planner_tick.py's organisation (with its plan's history), then one day's
    plan_day() on SQLite and on PostgreSQL (the same rows, moved by copy-db)."""
    import asyncio
    import shutil

    sys.path.insert(0, str(ROOT / "bench"))
    import planner_tick as p

    from storage.copy import copy_database
    from storage.db import Database

    path = tmp / "planner.db"
    started = time.perf_counter()
    p.seed(path, items, people, True)
    shutil.copyfile(path, tmp / "planner-pg-source.db")
    seeded = time.perf_counter() - started
    url = cluster.new_database()

    async def tick(address: str | Path) -> tuple[float, float, int]:
        db = await Database.open(address)
        try:
            service = p.service_on(db)
            until = p.TODAY + p.timedelta(days=p.horizon(await service.policy()))
            read_s, (_c, pushes, _plan) = await p.timed(
                lambda: p.read_and_plan(service, until))
            tick_s, _written = await p.timed(service.plan_day)
            return read_s, tick_s, pushes
        finally:
            await db.close()

    try:
        asyncio.run(copy_database(tmp / "planner-pg-source.db", url))
        lite = asyncio.run(tick(path))
        pg = asyncio.run(tick(url))
    finally:
        cluster.drop_database(url)
    return {"items": items, "seeded_s": round(seeded, 1),
            "sqlite": {"read_plan_s": round(lite[0], 3), "tick_s": round(lite[1], 3),
                       "pushes": lite[2]},
            "postgresql": {"read_plan_s": round(pg[0], 3), "tick_s": round(pg[1], 3),
                           "pushes": pg[2]},
            "tick_ratio_pg_to_sqlite": round(pg[1] / lite[1], 2) if lite[1] else None}


class OneLine(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.exit(f"workers.py: {message}")


def main() -> int:
    parser = OneLine(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000, help="messages (default 5000)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    parser.add_argument("--kill", action="store_true", help="kill one worker mid-drain")
    parser.add_argument("--planner-items", type=int, default=0,
                        help="also one planning tick over this many items on SQLite and on "
                             "PostgreSQL (bench/planner_tick.py's organisation; 0: not)")
    parser.add_argument("--people", type=int, default=10_000,
                        help="people for --planner-items (default 10000)")
    args = parser.parse_args()
    if not 1 <= args.count <= 100_000:
        parser.error("--count must be from 1 to 100000")
    try:
        counts = [int(n) for n in args.workers.split(",") if n.strip()]
    except ValueError:
        parser.error(f"--workers takes whole numbers, comma-separated, not {args.workers!r}")
    if any(not 1 <= n <= 16 for n in counts):
        parser.error("--workers: each count must be from 1 to 16")
    if not 0 <= args.planner_items <= 2_000_000 or not 11 <= args.people <= 200_000:
        parser.error("--planner-items must be from 0 to 2000000, --people from 11 to 200000")
    bindir = find_bin()
    if bindir is None:
        print("PostgreSQL's server binaries not found (apt-get install postgresql)")
        return 1
    cluster = Cluster(bindir)
    cluster.start()
    runs: list[dict] = []
    planner = None
    try:
        with tempfile.TemporaryDirectory() as folder:
            for workers in counts:
                run = one_run(cluster, workers, args.count, args.kill, Path(folder))
                runs.append(run)
                print(f"{workers} worker(s): {run['delivered']}/{run['count']} in "
                      f"{run['elapsed_s']} s = {run['rate']}/s ({run['ratio']:.0%} of "
                      f"{CEILING}/s); 429s {run['throttled']}, most in a second "
                      f"{run['most_in_a_second']}, lost {run['lost']}, twice {run['twice']}",
                      flush=True)
            planner = None
            if args.planner_items:
                planner = planner_tick(cluster, args.planner_items, args.people, Path(folder))
                print(f"planner tick over {planner['items']} items: SQLite "
                      f"{planner['sqlite']['tick_s']} s, PostgreSQL "
                      f"{planner['postgresql']['tick_s']} s "
                      f"({planner['tick_ratio_pg_to_sqlite']}×); read + plan "
                      f"{planner['sqlite']['read_plan_s']} s / "
                      f"{planner['postgresql']['read_plan_s']} s; pushes "
                      f"{planner['sqlite']['pushes']} / {planner['postgresql']['pushes']}",
                      flush=True)
    finally:
        cluster.stop()
    print("RESULT " + json.dumps({"ceiling": CEILING, "runs": runs, "planner": planner}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
