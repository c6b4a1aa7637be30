"""The robot kill sweep in full: `dutybot run` killed with SIGKILL at many robot requests
while it pushes to four office group robots at the edge of their rate windows (see
tests/robot_kill_sweep.py), restarted each time, then counted.

    .venv/bin/python bench/robot_kill_sweep.py [--rounds 3] [--kills 15] [--per-robot 15]
                                                [--no-feishu] [--verbose]

Prints, per round and in total, the parts lost, taken twice (allowed: once per robot per
kill that fell while the part was in flight) and more often than that, and the requests
the robots refused. Goal: 0 lost, 0 more often than the kills allow, 0 refused."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.robot_kill_sweep import FULL, QUICK, sweep


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kills", type=int, default=15)
    parser.add_argument("--per-robot", type=int, default=15,
                        help="messages per robot (one of them in several parts)")
    parser.add_argument("--max-calls", type=int, default=6,
                        help="a kill falls at the n-th robot request after a start, n ≤ this")
    parser.add_argument("--no-feishu", action="store_true",
                        help="leave the 飞书 robot out (it waits out the minutes after :00 "
                             "and :30)")
    parser.add_argument("--verbose", action="store_true", help="print each kill point")
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    robots = QUICK if args.no_feishu else FULL
    totals: Counter[str] = Counter()
    places: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, args.rounds + 1):
            tally = sweep(Path(tmp) / f"round{seed}", kills=args.kills,
                          per_robot=args.per_robot, robots=robots, seed=seed,
                          max_calls=args.max_calls, deadline=900)
            print(f"round {seed}: {tally.line()}")
            for what in ("lost", "over_allowed", "rejected", "unfinished", "crashes"):
                for one in getattr(tally, what)[:5]:
                    print(f"  {what}: {one}")
            for event in tally.timeline:
                print(f"  {event}")
            if args.verbose:
                for point in tally.points:
                    print(f"  killed at {point}")
            places.update(("before" if "before" in p else "after") for p in tally.points)
            totals.update(kills=tally.kills, kills_after=tally.kills_after, parts=tally.parts,
                          accepted=tally.accepted, lost=len(tally.lost),
                          duplicated=len(tally.duplicated),
                          over_allowed=len(tally.over_allowed), rejected=len(tally.rejected),
                          unfinished=len(tally.unfinished), crashes=len(tally.crashes))
    print("\nkill points:", ", ".join(f"{k} {v}" for k, v in sorted(places.items())))
    print("total: " + ", ".join(f"{k} {totals[k]}" for k in (
        "kills", "kills_after", "parts", "accepted", "lost", "duplicated", "over_allowed",
        "rejected", "unfinished", "crashes")))
    print("RESULT " + json.dumps(dict(totals)), flush=True)
    bad = totals["lost"] + totals["over_allowed"] + totals["rejected"] + totals["unfinished"] \
        + totals["crashes"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
