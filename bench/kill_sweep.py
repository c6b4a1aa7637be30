"""The kill sweep in full: `dutybot run` killed with SIGKILL at many points of a stream
of commands and taps (see tests/kill_sweep.py), restarted each time, then counted.

    .venv/bin/python bench/kill_sweep.py [--rounds 5] [--kills 20] [--users 6] [--units 12]

Prints, per round and in total, the changes lost and duplicated and the answers lost,
sent again (allowed: once per kill that fell while the answer was in flight) and sent
more often than that. Goal: 0 changes lost or duplicated, 0 answers lost, 0 answers sent
more often than the kills allow."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.kill_sweep import sweep


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--users", type=int, default=6)
    parser.add_argument("--units", type=int, default=12)
    parser.add_argument("--verbose", action="store_true", help="print each kill point")
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    totals: Counter[str] = Counter()
    places: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, args.rounds + 1):
            tally = sweep(Path(tmp) / f"round{seed}", kills=args.kills, users=args.users,
                          units=args.units, seed=seed)
            print(f"round {seed}: {tally.line()}")
            if args.verbose:
                for point in tally.points:
                    print(f"  killed at {point}")
            places.update(p.split(" #")[0] + (" before" if "before" in p else " after")
                          for p in tally.points)
            totals.update(kills=tally.kills, operations=tally.operations,
                          changes_lost=len(tally.changes_lost),
                          changes_duplicated=len(tally.changes_duplicated),
                          answers_lost=len(tally.answers_lost),
                          answers_again=len(tally.answers_duplicated),
                          answers_over_allowed=len(tally.answers_over_allowed))
    print("\nkill points by call:", ", ".join(f"{k} {v}" for k, v in sorted(places.items())))
    print("total: " + ", ".join(f"{k} {totals[k]}" for k in (
        "kills", "operations", "changes_lost", "changes_duplicated", "answers_lost",
        "answers_again", "answers_over_allowed")))
    print("RESULT " + json.dumps(dict(totals)), flush=True)
    bad = totals["changes_lost"] + totals["changes_duplicated"] + totals["answers_lost"] \
        + totals["answers_over_allowed"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
