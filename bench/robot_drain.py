"""Draining the outbox to three office group robots at once, each at its messenger's limit.

    NO_PROXY=127.0.0.1,localhost .venv/bin/python bench/robot_drain.py          # scaled clock
    NO_PROXY=127.0.0.1,localhost .venv/bin/python bench/robot_drain.py --real   # ~10 minutes

`--count` messages (default 600) split evenly over a 企业微信 robot (20 a minute), a 钉钉
robot with 加签 and a keyword (20 a minute; one too many silences it for ten minutes) and a
飞书 robot with 签名校验 (5 a second and 100 a minute, off the first minutes after :00 and
:30), behind fake servers over HTTP on 127.0.0.1. The bot's `RobotSender` drains them with
the real `post()`, as `dutybot run`'s robot loop does: by default on a manual clock the
loop moves on by the wait the sender returns (the fakes read the same clock), with
`--real` on the real clock, sleeping that wait.

Prints per robot: messages, elapsed clock seconds from its first send to its last, the
fastest its limits allow for that many (the sends packed greedily into its windows), the
rate as a ratio of that (goal ≥ 0.95), refused requests (goal 0), lost and duplicated
(goal 0), and how long after the start its first send went (飞书's :00/:30 avoidance)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.channels.robots import robot_kind
from bot.clock import ManualClock, SystemClock
from bot.config import load_settings
from bot.domain.model import Actor
from bot.domain.target import Target
from bot.fake_robots import FakeRobots, FakeRobotServer
from bot.services.registry import Services
from tests.robot_kill_sweep import expected_parts, part_key

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 7, 10, 0, tzinfo=TZ)  # a Monday morning, on the half hour
OFFICE = Actor(telegram_user_id=None, bootstrap_admin=True)
DING_SECRET = "SECbench0drain1secret2"
FEISHU_SECRET = "feishu-bench-drain-secret"


class EpochClock(ManualClock):
    """The manual clock, read by the fakes as epoch seconds."""

    def epoch(self) -> float:
        return self.now().timestamp()


def fastest(windows: list[tuple[int, float]], n: int) -> float:
    """Seconds from the first to the last of `n` sends packed greedily into the windows
    (at most count in any `seconds`, a send at t leaving the window at t + seconds)."""
    times: list[float] = []
    for _ in range(n):
        at = times[-1] if times else 0.0
        for count, seconds in windows:
            if len(times) >= count:
                at = max(at, times[-count] + seconds)
        times.append(at)
    return times[-1] - times[0] if times else 0.0


async def run(count: int, real: bool) -> int:
    per_robot = count // 3
    clock = SystemClock(TZ) if real else EpochClock(START)
    fakes = FakeRobots(time.time if real else clock.epoch)
    server = FakeRobotServer(fakes).start()
    root = server.root
    robots = [  # (kind, ident, name, webhook, secret, keyword)
        ("企业微信", "wecom", "wx", "纪委工作群", root + fakes.wecom.add_robot("wx"), None, None),
        ("钉钉", "dingtalk", "dd", "财务科支部群",
         root + fakes.dingtalk.add_robot("dd", DING_SECRET, ("督办",)), DING_SECRET, "督办"),
        ("飞书", "feishu", "fs", "党委班子群",
         root + fakes.feishu.add_robot("fs", FEISHU_SECRET), FEISHU_SECRET, None),
    ]
    families = {"wecom": fakes.wecom, "dingtalk": fakes.dingtalk, "feishu": fakes.feishu}
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(_env_file=None, DUTYBOT_DB_PATH=Path(tmp) / "bench.db",
                                 DUTYBOT_ADMIN_IDS="", DUTYBOT_RULES=None)
        services = await Services.open(settings, clock)
        try:
            expected: dict[str, list[str]] = {}
            ids: dict[str, int] = {}
            for word, kind, ident, name, webhook, secret, keyword in robots:
                added = await services.channels.add(OFFICE, word, name, webhook,
                                                    secret=secret, keyword=keyword)
                ids[ident] = added.entry.channel.id
                messages = [("robot_broken_notice", {"name": f"{ident}群{n}", "reason": "keyword"})
                            for n in range(per_robot)]
                robot = _Robot(kind, keyword)
                expected[ident] = expected_parts(robot, messages, clock.now().date())
                now = clock.now()
                async with services.db.transaction() as tx:
                    for n, (message_kind, payload) in enumerate(messages):
                        await tx.outbox.add(dedup_key=f"bench:{ident}:{n}",
                                            target=Target.robot(ids[ident]), person_id=None,
                                            kind=message_kind, day=now.date(), payload=payload,
                                            now=now)
            print(f"{per_robot} messages to each of 3 robots; clock "
                  f"{'real' if real else 'manual, from ' + START.isoformat()}")
            started = clock.now()
            wall = time.monotonic()
            await drain(services, clock, real, count)
            wall = time.monotonic() - wall
        finally:
            await services.close()
            server.stop()
    print(f"wall time {wall:.1f} s\n")
    print(f"{'robot':10} {'msgs':>5} {'elapsed':>8} {'fastest':>8} {'ratio':>6} "
          f"{'refused':>7} {'lost':>4} {'dup':>4} {'first send':>10}")
    bad = 0
    result: dict[str, dict[str, float | int | None]] = {}
    for _word, kind, ident, _name, _webhook, _secret, _keyword in robots:
        exchanges = families[kind].exchanges(ident)
        accepted = [e for e in exchanges if e.accepted]
        refused = len(exchanges) - len(accepted)
        seen = Counter(part_key(e.payload) for e in accepted if e.payload)
        lost = sum(1 for k in expected[ident] if k not in seen)
        duplicated = sum(n - 1 for n in seen.values())
        times = [e.at for e in accepted]
        elapsed = times[-1] - times[0] if times else 0.0
        limits = robot_kind(kind).limits
        best = fastest([(w.count, w.seconds) for w in limits.windows], len(accepted))
        ratio = f"{best / elapsed:.3f}" if elapsed else "-"
        first = times[0] - started.timestamp() if times else float("nan")
        print(f"{kind:10} {len(accepted):5d} {elapsed:8.1f} {best:8.1f} {ratio:>6} "
              f"{refused:7d} {lost:4d} {duplicated:4d} {first:9.1f}s")
        bad += refused + lost + duplicated
        result[kind] = {"messages": len(accepted), "elapsed_s": elapsed, "fastest_s": best,
                        "ratio": best / elapsed if elapsed else None, "refused": refused,
                        "lost": lost, "duplicated": duplicated}
    print("RESULT " + json.dumps({"clock": "real" if real else "manual", "robots": result}),
          flush=True)
    return 1 if bad else 0


class _Robot:
    """What tests.robot_kill_sweep.expected_parts reads of a robot."""

    def __init__(self, kind: str, keyword: str | None) -> None:
        self.kind = kind
        self.keyword = keyword


async def drain(services: Services, clock, real: bool, count: int) -> None:
    """The robot loop of bot/scheduling/scheduler.py: drain, and if nothing went, wait
    what the sender says (on the manual clock: move the clock on by it)."""
    from bot.scheduling.robot_sender import RobotSender

    async with httpx.AsyncClient(trust_env=False) as client:
        sender = RobotSender(services.robots, clock, client, services.offload)
        while await _pending(services):
            sent, wait = await sender.drain()
            if sent:
                continue
            if real:
                await asyncio.sleep(max(wait, 0.05))
            else:
                clock.advance(timedelta(seconds=max(wait, 0.05)))


async def _pending(services: Services) -> int:
    async with services.db.read() as tx:
        return await tx.outbox.pending_count()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=600,
                        help="messages in all, split over the three robots")
    parser.add_argument("--real", action="store_true",
                        help="the real clock (about ten minutes for 600)")
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    return asyncio.run(run(args.count, args.real))


if __name__ == "__main__":
    sys.exit(main())
