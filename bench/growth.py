"""Bench (m): how the planner, the weekly summary and the 台账 export grow with the
organisation (issue 25, point 6).

    NO_PROXY=127.0.0.1,localhost .venv/bin/python bench/growth.py            # 50k/150k/500k
    .venv/bin/python bench/growth.py --scales 5000,15000,50000                # a quick look
    .venv/bin/python bench/growth.py --only planner_tick,weekly_summary

Runs bench/planner_tick.py, bench/weekly_summary.py and bench/export_ledger.py at each
scale (one person per 50 items, at least 11), each in a subprocess of its own, reads the
`RESULT {json}` line each prints, and prints the time at each scale and the growth exponent
between scales: k in t ∝ n^k, that is ln(t₂/t₁) / ln(n₂/n₁). Goal: k ≤ 1.1 (linear or
better) between every two neighbouring scales, and the planner's tick within 3× its bare
scan at every scale. The exponent of a bench's bare floor (the scan, the count, the fetch)
is printed beside it: a floor that itself grows faster than linear (SQLite's B-trees are
n·log n to build, not to read) shows where the machine, not our code, bends the line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, NoReturn

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MAX_ITEMS = 5_000_000
GOAL_EXPONENT = 1.1
GOAL_PLANNER_RATIO = 3.0


@dataclass(frozen=True)
class Measured:
    """What one bench's RESULT says is its time and its floor's."""

    script: str
    time_key: str
    floor_key: str


MEASURED = {
    "planner_tick": Measured("planner_tick.py", "tick_s", "scan_s"),
    "weekly_summary": Measured("weekly_summary.py", "summary_s", "bare_s"),
    "export_ledger": Measured("export_ledger.py", "export_s", "fetch_s"),
}


def exponent(n1: int, t1: float, n2: int, t2: float) -> float | None:
    """k in t ∝ n^k between two points; None when a time is not positive."""
    if t1 <= 0 or t2 <= 0 or n1 <= 0 or n2 <= 0 or n1 == n2:
        return None
    return math.log(t2 / t1) / math.log(n2 / n1)


def people_for(items: int) -> int:
    return max(11, items // 50)


def run(script: str, items: int, timeout: float) -> dict[str, Any]:
    """One bench at one scale; its RESULT, or {'error': why}."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1",
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / script), "--items", str(items),
             "--people", str(people_for(items))],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}
    results = [line[len("RESULT "):] for line in done.stdout.splitlines()
               if line.startswith("RESULT ")]
    if done.returncode or not results:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"error": f"exit {done.returncode}: {tail[0][:100]}"}
    return json.loads(results[-1])


def grow(name: str, scales: list[int], timeout: float) -> dict[str, Any]:
    measured = MEASURED[name]
    points = []
    for items in scales:
        print(f"  {name} at {items} items …", file=sys.stderr, flush=True)
        result = run(measured.script, items, timeout)
        if "error" in result:
            return {"name": name, "points": points, "error": result["error"]}
        points.append({"items": items, "s": result[measured.time_key],
                       "floor_s": result[measured.floor_key]})
    steps = []
    for a, b in pairwise(points):
        steps.append({"from": a["items"], "to": b["items"],
                      "k": exponent(a["items"], a["s"], b["items"], b["s"]),
                      "floor_k": exponent(a["items"], a["floor_s"], b["items"], b["floor_s"])})
    return {"name": name, "points": points, "steps": steps}


def report(found: list[dict[str, Any]]) -> None:
    for bench in found:
        print(f"{bench['name']}:")
        for p in bench["points"]:
            ratio = p["s"] / p["floor_s"] if p["floor_s"] else float("inf")
            print(f"  {p['items']:>9} items  {p['s']:9.3f} s   floor {p['floor_s']:8.3f} s   "
                  f"{ratio:6.2f}× the floor")
        for step in bench.get("steps", []):
            k, fk = step["k"], step["floor_k"]
            shown = "—" if k is None else f"{k:.2f}"
            floor = "—" if fk is None else f"{fk:.2f}"
            met = "" if k is None else ("  (goal ≤ 1.1: met)" if k <= GOAL_EXPONENT
                                        else "  (goal ≤ 1.1: NOT met)")
            print(f"  {step['from']} → {step['to']}: exponent {shown}, its floor's {floor}{met}")
        if "error" in bench:
            print(f"  FAILED: {bench['error']}")


class OneLine(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.exit(f"growth.py: {message}")


def scales_of(text: str, parser: OneLine) -> list[int]:
    try:
        scales = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        parser.error(f"--scales takes whole numbers of items, comma-separated, not {text!r}")
    if len(scales) < 2:
        parser.error("--scales needs at least two scales to measure growth between")
    if any(not 1000 <= n <= MAX_ITEMS for n in scales):
        parser.error(f"--scales: each scale must be from 1000 to {MAX_ITEMS} items")
    if scales != sorted(set(scales)):
        parser.error("--scales must grow, without repeats")
    return scales


def main(argv: list[str] | None = None) -> int:
    parser = OneLine(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="50000,150000,500000")
    parser.add_argument("--only", default=",".join(MEASURED),
                        help="comma-separated: " + ", ".join(MEASURED))
    parser.add_argument("--timeout", type=float, default=3600,
                        help="seconds each bench may run at each scale")
    args = parser.parse_args(argv)
    scales = scales_of(args.scales, parser)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in MEASURED]
    if unknown or not names:
        parser.error(f"--only: choose from {', '.join(MEASURED)}")
    if not 0 < args.timeout <= 24 * 3600:
        parser.error("--timeout must be more than 0 and at most a day")
    started = time.perf_counter()
    found = [grow(name, scales, args.timeout) for name in names]
    print(f"growth.py: {', '.join(map(str, scales))} items, {time.perf_counter() - started:.0f} s")
    report(found)
    planner = next((b for b in found if b["name"] == "planner_tick"), None)
    print("RESULT " + json.dumps({
        "scales": scales, "benches": found,
        "planner_ratios": [p["s"] / p["floor_s"] for p in planner["points"]] if planner else [],
    }))
    return 1 if any("error" in b for b in found) else 0


if __name__ == "__main__":
    sys.exit(main())
