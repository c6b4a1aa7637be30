"""Every bench in one run, every figure in one table (issue 25, point 5).

    NO_PROXY=127.0.0.1,localhost .venv/bin/python bench/all.py --quick   # CI-sized, < 3 min
    NO_PROXY=127.0.0.1,localhost .venv/bin/python bench/all.py           # the full scales
    .venv/bin/python bench/all.py --quick --only planner_tick,handlers  # some of them

Runs each bench of this folder in a subprocess of its own (so one's memory does not colour
the next), one after another, reads the `RESULT {json}` line each prints last, and prints
one table: each figure beside its floor and its goal, and whether the goal is met. A bench
that fails or runs past its time is reported as such in its row and the others go on.
Every child writes its temporary files under one folder of this run (TMPDIR), removed
however the run ends (Ctrl-C and SIGTERM included: the running bench is interrupted first,
so it cleans up too). The children reach no network address but 127.0.0.1 (the fakes):
NO_PROXY is set and the proxy variables are dropped. Nothing asserts; the exit status is 0
when every bench ran (goals missed or not), 1 when one failed or timed out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MAX_TIMEOUT = 24 * 3600
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")

Met = bool | None  # None: no goal, or its floor is not measured yet


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    floor: str = ""
    goal: str = ""
    met: Met = None


@dataclass(frozen=True)
class Bench:
    name: str
    script: str  # a file of this folder, or an absolute path
    quick: tuple[str, ...]
    full: tuple[str, ...]
    quick_timeout: float
    full_timeout: float
    rows: Callable[[dict[str, Any]], list[Row]] = field(repr=False)


# -- what each bench's RESULT means ------------------------------------------------------------

def at_most(value: float, goal: float) -> bool:
    return value <= goal


def zero(figure: str, value: int) -> Row:
    return Row(figure, str(value), "", "0", value == 0)


def outbox_rows(r: dict[str, Any]) -> list[Row]:
    return [Row(f"drain ratio to the ceiling ({r['delivered']} of {r['count']})",
                f"{r['ratio']:.3f}", f"ceiling, in {r['elapsed_s']:.1f} s", "≥ 0.95",
                r["ratio"] >= 0.95),
            zero("lost", r["lost"]), zero("duplicated", r["duplicated"])]


def planner_rows(r: dict[str, Any]) -> list[Row]:
    return [Row(f"tick / bare scan ({r['items']} items)",
                f"{r['tick_ratio']:.2f}× ({r['tick_s']:.2f} s)", f"scan {r['scan_s']:.3f} s",
                "≤ 3×", at_most(r["tick_ratio"], 3)),
            Row("read + plan, no write / bare scan", f"{r['plan_ratio']:.2f}×",
                f"scan {r['scan_s']:.3f} s")]


def summary_rows(r: dict[str, Any]) -> list[Row]:
    return [Row(f"summary seconds ({r['items']} items)", f"{r['summary_s']:.3f} s",
                f"bare count {r['bare_s']:.3f} s", "≤ 2 s", at_most(r["summary_s"], 2)),
            Row("chart to PNG", f"{r['chart_s']:.3f} s")]


def import_rows(r: dict[str, Any]) -> list[Row]:
    return [Row(f"import seconds ({r['items']} rows, {r['size_mb']:.2f} MB)",
                f"{r['import_s']:.2f} s", "", "< 10 s", r["import_s"] < 10),
            # the goal is set at 20 000 rows; at the quick scale a child's start dominates
            Row("import / its floor (read-only read + one executemany per table)",
                f"{r['ratio_to_floor']:.2f}×", f"floor {r['floor_s']:.2f} s",
                "≤ 2× at 20 000 rows", at_most(r["ratio_to_floor"], 2)
                if r["items"] >= 19_999 else None),
            Row("import / openpyxl read-only read", f"{r['ratio_to_read']:.2f}×",
                f"read {r['read_s']:.2f} s"),
            Row("peak RSS (process, reaped children)", f"{r['peak_rss_mb']:.0f} MB")]


def export_rows(r: dict[str, Any]) -> list[Row]:
    return [Row(f"export seconds ({r['items']} items, {r['events']} events)",
                f"{r['export_s']:.2f} s ({r['size_mb']:.1f} MiB)", "", ""),
            Row("export / bare fetch of items and events", f"{r['ratio_to_fetch']:.1f}×",
                f"fetch {r['fetch_s']:.2f} s", "(≤ 1.5× its floor: export_candidates)"),
            Row("export's reads / bare fetch", f"{r['read_s'] / r['fetch_s']:.2f}×",
                f"fetch {r['fetch_s']:.2f} s"),
            Row("peak RSS of the child that wrote it", f"{r['child_peak_rss_mb']} MiB", "",
                "≤ 200 MB", at_most(r["child_peak_rss_mb"], 200))]


def export_candidate_rows(r: dict[str, Any]) -> list[Row]:
    rows = []
    if "ratio_to_floor" in r:
        rows.append(Row(f"export / its floor ({r['items']} items: the fastest bare writer "
                        "≤ 200 MB)", f"{r['ratio_to_floor']:.2f}×",
                        f"{r['floor']} {r['floor_s']:.2f} s", "≤ 1.5×",
                        at_most(r["ratio_to_floor"], 1.5)))
    if "speedup" in r:
        rows.append(Row("export speed-up over main's openpyxl writer", f"{r['speedup']:.1f}×",
                        f"before {r['before_s']:.2f} s", "≥ 3×", r["speedup"] >= 3))
    if "export_s" in r:
        rows.append(Row("export seconds, peak RSS (writer child)",
                        f"{r['export_s']:.2f} s, {r['export_peak_rss_mb']} MiB", "",
                        "≤ 200 MB", at_most(r["export_peak_rss_mb"] * 2**20 / 1e6, 200)))
    for name, c in r.get("candidates", {}).items():
        if name not in ("export", "before"):
            rows.append(Row(f"  candidate {name} (bare)",
                            f"{c['s']:.2f} s, {c['peak_rss_mb']} MiB"))
    return rows


def handler_rows(r: dict[str, Any]) -> list[Row]:
    rows = []
    for case in r["cases"]:
        goal = case["goal"]
        worst = max(case["replay_ratio"], case["cpu_replay_ratio"])
        ratio = f"{case['replay_ratio']:.2f}× (CPU {case['cpu_replay_ratio']:.2f}×)"
        extra = case["trips"] - case["echo_trips"]
        if not goal:  # every other chat command: one row, its ratio for reference
            rows.append(Row(f"{case['name']} / replay; round trips",
                            f"{ratio}; {case['trips']} ({extra:+d})",
                            f"echo ×{case['echo_ratio']:.1f}; echo {case['echo_trips']}",
                            "trips ≤ +5", extra <= 5))
            continue
        rows.append(Row(f"{case['name']} / replay", ratio,
                        f"replay; echo ×{case['echo_ratio']:.1f}", "≤ 1.3×",
                        at_most(worst, 1.3)))
        rows.append(Row(f"{case['name']} round trips", f"{case['trips']} ({extra:+d})",
                        f"echo {case['echo_trips']}", "≤ +5", extra <= 5))
    rows.append(Row("/我的清单 round trips, few items = many", "yes" if r["list_trips_same"]
                    else "no", "", "same", r["list_trips_same"]))
    return rows


def latency_rows(r: dict[str, Any]) -> list[Row]:
    return [Row(f"/我的清单 p95 under a {r['items']}-row import / idle",
                f"{r['p95_ratio']:.2f}× ({r['p95_busy_ms']:.1f} ms)",
                f"idle p95 {r['p95_idle_ms']:.1f} ms", "≤ 2×", at_most(r["p95_ratio"], 2))]


def hostile_rows(r: dict[str, Any]) -> list[Row]:
    within = r["refused"] - r["over_goal"]
    return [Row(f"refusals within 2 s and 256 MB ({r['accepted']} accepted)",
                f"{within} of {r['refused']}", "", "all", r["over_goal"] == 0),
            Row("slowest refusal", f"{r['worst_refusal_s']:.3f} s", "", "< 2 s",
                r["worst_refusal_s"] < 2),
            Row("largest refusal's peak RSS", f"{r['worst_refusal_rss_mb']:.0f} MB",
                f"child floor {r['floor_rss_mb']:.0f} MB", "< 256 MB",
                r["worst_refusal_rss_mb"] < 256)]


def robot_drain_rows(r: dict[str, Any]) -> list[Row]:
    rows = []
    for kind, robot in r["robots"].items():
        ratio = robot["ratio"]
        rows.append(Row(f"{kind} drain ratio ({robot['messages']} msgs, {r['clock']} clock)",
                        "—" if ratio is None else f"{ratio:.3f}",
                        f"its limits: {robot['fastest_s']:.1f} s", "≥ 0.95",
                        ratio is not None and ratio >= 0.95))
    for what in ("refused", "lost", "duplicated"):
        rows.append(zero(f"{what} (all robots)", sum(x[what] for x in r["robots"].values())))
    return rows


def kill_rows(r: dict[str, Any]) -> list[Row]:
    return [Row("kills landed, operations", f"{r.get('kills', 0)}, {r.get('operations', 0)}"),
            zero("changes lost", r.get("changes_lost", 0)),
            zero("changes duplicated", r.get("changes_duplicated", 0)),
            zero("answers lost", r.get("answers_lost", 0)),
            Row("answers sent again (allowed: a kill in flight)", str(r.get("answers_again", 0))),
            zero("answers more often than the kills allow", r.get("answers_over_allowed", 0))]


def robot_kill_rows(r: dict[str, Any]) -> list[Row]:
    return [Row("kills landed, parts", f"{r.get('kills', 0)}, {r.get('parts', 0)}"),
            zero("parts lost", r.get("lost", 0)),
            Row("parts taken twice (allowed: a kill in flight)", str(r.get("duplicated", 0))),
            zero("more often than the kills allow", r.get("over_allowed", 0)),
            zero("requests refused by a robot", r.get("rejected", 0)),
            zero("unsent or crashed", r.get("unfinished", 0) + r.get("crashes", 0))]


def growth_rows(r: dict[str, Any]) -> list[Row]:
    rows = []
    for bench in r["benches"]:
        for step in bench.get("steps", []):
            k, fk = step["k"], step["floor_k"]
            rows.append(Row(f"{bench['name']} growth exponent {step['from']} → {step['to']}",
                            "—" if k is None else f"{k:.2f}",
                            "" if fk is None else f"its floor's {fk:.2f}", "≤ 1.1",
                            None if k is None else at_most(k, 1.1)))
        if "error" in bench:
            rows.append(Row(f"{bench['name']}", f"FAILED: {bench['error']}", "", "", False))
    for items, ratio in zip(r["scales"], r["planner_ratios"], strict=False):
        rows.append(Row(f"planner tick / bare scan at {items} items", f"{ratio:.2f}×", "",
                        "≤ 3×", at_most(ratio, 3)))
    return rows


def startup_rows(r: dict[str, Any]) -> list[Row]:
    rows = [Row(f"`dutybot run` start to first answer ({r['items']} items) / echo bot",
                f"{r['ratio']:.2f}× ({r['run_s']:.2f} s)", f"echo {r['echo_s']:.2f} s", "≤ 2×",
                at_most(r["ratio"], 2)),
            Row("`dutybot run` idle RSS", f"{r['idle_rss_mb']:.0f} MiB", "", "≤ 90 MB",
                at_most(r["idle_rss_mb"], 90))]
    if "demo_peak_mb" in r:
        rows.append(Row("`dutybot demo`'s own peak RSS", f"{r['demo_peak_mb']:.0f} MiB", "",
                        "≤ 150 MB", at_most(r["demo_peak_mb"], 150)))
    return rows


def workers_rows(r: dict[str, Any]) -> list[Row]:
    rows = []
    for run in r["runs"]:
        rows.append(Row(f"drain with {run['workers']} worker(s) on PostgreSQL / ceiling "
                        f"({run['delivered']} of {run['count']}, {run['kills']} killed)",
                        f"{run['ratio']:.3f}", f"{r['ceiling']}/s; the bots' shared 27/s",
                        "≥ 0.85", run["ratio"] >= 0.85))
        rows.append(zero(f"  lost, 429s ({run['workers']} worker(s))",
                         run["lost"] + run["throttled"]))
        rows.append(Row(f"  sent twice ({run['workers']} worker(s))", str(run["twice"]), "",
                        "≤ 1 per kill", run["twice"] <= run["kills"]))
    planner = r.get("planner")
    if planner:
        rows.append(Row(f"planner tick on PostgreSQL / SQLite ({planner['items']} items)",
                        f"{planner['tick_ratio_pg_to_sqlite']}×",
                        f"SQLite {planner['sqlite']['tick_s']} s"))
    return rows


SMALL = ("--items", "20000", "--people", "1000")
BENCHES: tuple[Bench, ...] = (
    Bench("outbox_drain", "outbox_drain.py", ("--count", "150"), (), 60, 1800, outbox_rows),
    Bench("planner_tick", "planner_tick.py", SMALL, (), 60, 1800, planner_rows),
    Bench("weekly_summary", "weekly_summary.py", SMALL, (), 60, 1800, summary_rows),
    Bench("import_workbook", "import_workbook.py", ("--people", "100", "--items", "2000"),
          ("--people", "500", "--items", "19999"), 60, 900, import_rows),
    Bench("export_ledger", "export_ledger.py", SMALL, (), 60, 3600, export_rows),
    Bench("export_candidates", "export_candidates.py", ("--items", "5000", "--people", "200"),
          (), 120, 5400, export_candidate_rows),
    Bench("handlers", "handlers.py", ("--rounds", "1", "--per-round", "10", "--unit-items",
                                      "200"), (), 60, 900, handler_rows),
    Bench("latency_under_import", "latency_under_import.py",
          ("--items", "2000", "--people", "100", "--calls", "50"), (), 60, 900, latency_rows),
    Bench("hostile_workbooks", "hostile_workbooks.py", ("--only", "zip bomb"), (), 60, 900,
          hostile_rows),
    Bench("robot_drain", "robot_drain.py", ("--count", "150"), (), 60, 900, robot_drain_rows),
    Bench("kill_sweep", "kill_sweep.py",
          ("--rounds", "1", "--kills", "4", "--users", "2", "--units", "3"), (), 60, 3600,
          kill_rows),
    Bench("robot_kill_sweep", "robot_kill_sweep.py",
          ("--rounds", "1", "--kills", "3", "--per-robot", "4", "--no-feishu"), (), 60, 3600,
          robot_kill_rows),
    Bench("workers", "workers.py", ("--count", "150", "--workers", "1,2"),
          ("--count", "5000", "--workers", "1,2,4", "--kill", "--planner-items", "500000"),
          180, 4 * 3600, workers_rows),
    Bench("startup", "startup.py", ("--rounds", "1", "--no-demo"), (), 120, 1800,
          startup_rows),
    Bench("growth", "growth.py", ("--scales", "2000,6000"), (), 120, 4 * 3600, growth_rows),
)

# what issue 25 asks for and no bench measures yet (printed under the table)
NOT_YET: tuple[str, ...] = ()


# -- running ---------------------------------------------------------------------------------

@dataclass
class Outcome:
    bench: Bench
    seconds: float
    rows: list[Row]
    ok: bool


class Interrupted(Exception):
    pass


def child_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXIES}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
               TMPDIR=str(tmp), PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
    return env


def interruptible() -> None:
    """In the child before it starts: SIGINT as Python's default (a run started in the
    background has it ignored), so that `stop` can interrupt it and let it clean up."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop(child: subprocess.Popen[str]) -> None:
    """Interrupt the bench's whole process group (it cleans up as after Ctrl-C), then kill
    what is left of it."""
    for sig, grace in ((signal.SIGINT, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.communicate(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:100] if lines else "no output"


def run_one(bench: Bench, quick: bool, timeout: float, tmp: Path) -> Outcome:
    script = Path(bench.script) if Path(bench.script).is_absolute() else HERE / bench.script
    args = bench.quick if quick else bench.full
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, str(script), *args], cwd=ROOT,
                             env=child_env(tmp), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True,
                             preexec_fn=interruptible)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(child)
        return Outcome(bench, time.perf_counter() - started,
                       [Row("—", f"TIMED OUT after {timeout:g} s", "", "", False)], False)
    except KeyboardInterrupt:
        stop(child)
        raise Interrupted from None
    seconds = time.perf_counter() - started
    results = [line[len("RESULT "):] for line in out.splitlines() if line.startswith("RESULT ")]
    if child.returncode not in (0, 1) or not results:
        why = (f"FAILED (exit {child.returncode}): {last_line(err or out)}"
               if child.returncode else "FAILED: no RESULT line")
        return Outcome(bench, seconds, [Row("—", why, "", "", False)], False)
    try:
        rows = bench.rows(json.loads(results[-1]))
    except (ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
        return Outcome(bench, seconds, [Row("—", f"FAILED: unreadable RESULT ({exc!r})",
                                            "", "", False)], False)
    return Outcome(bench, seconds, rows, True)


# -- the table -------------------------------------------------------------------------------

def width(text: str) -> int:
    return len(text) + sum(unicodedata.east_asian_width(c) in "WF" for c in text)


def table(outcomes: list[Outcome]) -> str:
    """One Markdown table (it reads in a terminal and pastes into bench/README.md)."""
    head = ("bench", "figure", "value", "floor", "goal", "met")
    lines = [head]
    for outcome in outcomes:
        for n, row in enumerate(outcome.rows):
            name = f"{outcome.bench.name} ({outcome.seconds:.0f} s)" if n == 0 else ""
            met = "—" if row.met is None else ("yes" if row.met else "**NO**")
            lines.append((name, row.figure, row.value, row.floor, row.goal, met))
    widths = [max(width(line[i]) for line in lines) for i in range(len(head))]

    def cells(line: tuple[str, ...]) -> str:
        padded = (c + " " * (w - width(c)) for c, w in zip(line, widths, strict=True))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([cells(lines[0]), rule, *(cells(line) for line in lines[1:])])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import sqlite3
    return (f"{cpu}, {os.cpu_count()} cores; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}")


def load() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


# -- arguments -------------------------------------------------------------------------------

class OneLine(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.exit(f"all.py: {message}")


def arguments(argv: list[str] | None, benches: tuple[Bench, ...]) -> argparse.Namespace:
    parser = OneLine(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized scales (< 3 min)")
    parser.add_argument("--only", default="",
                        help="comma-separated bench names: " + ", ".join(b.name for b in benches))
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds each bench may run (default: its own)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    known = {b.name for b in benches}
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"--only: no bench named {', '.join(unknown)} "
                     f"(there are {', '.join(sorted(known))})")
    if args.only and not names:
        parser.error("--only needs at least one bench name")
    if args.timeout is not None and not (0 < args.timeout <= MAX_TIMEOUT):  # NaN fails too
        parser.error(f"--timeout must be more than 0 and at most {MAX_TIMEOUT} seconds, "
                     f"not {args.timeout:g}")
    args.benches = [b for b in benches if not names or b.name in names]
    return args


def main(argv: list[str] | None = None, benches: tuple[Bench, ...] = BENCHES) -> int:
    args = arguments(argv, benches)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # cleaned up as after Ctrl-C
    tmp = Path(tempfile.mkdtemp(prefix="dutybot-bench-all-"))
    tmp.chmod(0o711)  # the PostgreSQL bench's throwaway cluster runs as `nobody` inside it
    outcomes: list[Outcome] = []
    started, load_before = time.perf_counter(), load()
    interrupted = False
    try:
        for bench in args.benches:
            timeout = args.timeout or (bench.quick_timeout if args.quick else bench.full_timeout)
            print(f"running {bench.name} …", file=sys.stderr, flush=True)
            outcomes.append(run_one(bench, args.quick, timeout, tmp))
            print(f"  {'done' if outcomes[-1].ok else 'FAILED'} in "
                  f"{outcomes[-1].seconds:.1f} s", file=sys.stderr, flush=True)
    except (Interrupted, KeyboardInterrupt):
        interrupted = True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if interrupted and not outcomes:
        sys.exit("all.py: interrupted; the running bench was stopped and its files removed")
    print(f"bench/all.py {'--quick' if args.quick else '(full scales)'}: "
          f"{len(outcomes)} benches in {time.perf_counter() - started:.0f} s; load average "
          f"{load_before} before, {load()} after"
          + ("; INTERRUPTED, the benches that finished:" if interrupted else ""))
    print(f"machine: {machine()}")
    print()
    print(table(outcomes))
    if NOT_YET and benches is BENCHES and not [b for b in BENCHES if b not in args.benches]:
        print("\nnot measured by any bench yet: " + "; ".join(NOT_YET))
    if interrupted:
        sys.exit("all.py: interrupted; the running bench was stopped and its files removed")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
