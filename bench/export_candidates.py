"""Bench: the 台账 export beside its floor — the same cells written bare by each candidate
writer — and beside today's writer, in the same run.

    .venv/bin/python bench/export_candidates.py [--items 500000] [--people 10000]
    .venv/bin/python bench/export_candidates.py --items 100000 --only stream,xlsxwriter

Seeds the database bench/export_ledger.py seeds (the three lists with their 传导 chains,
an item.created event per item and an item.status per item that moved on). Then each
candidate runs in a fresh child process of its own (spawned: nothing shared, its peak RSS
its own, read from /proc/self/status VmHWM), reads the snapshot as the export does
(LedgerSnapshot, its own read-only connection) and writes a workbook into a temporary file:

  rows        the cells only, no workbook: what every candidate pays before writing
  openpyxl    openpyxl's write-only workbook (with lxml when installed), bare
  xlsxwriter  XlsxWriter in constant_memory mode, bare (no formulas, no URLs)
  pyexcelerate  PyExcelerate, bare (it takes a sheet's rows whole)
  rustpy      rustpy-xlsxwriter (Rust), bare (it takes a sheet's rows whole, as dicts)
  stream      bot/xlsx.py, bare: no widths, no styles, no frozen header
  export      the export as it ships: bot/ledger_io.write_ledger_to() (widths, the shaded
              bold header, dates as dates, percentages, the 说明 sheet)
  before      the export's writer before bot/xlsx.py (BEFORE_REF: openpyxl write-only with
              widths and styles, the workbook held in memory), from `git show`

"Bare" candidates write every sheet and every column the export writes, the header row
included, with the cells' values as the export holds them (text cleaned, times local), but
no widths and no formats. The floor is the fastest bare candidate whose peak RSS is within
the budget (--budget, 200 MB). Prints seconds, peak RSS and file size each, then the
export's ratio to the floor and its speed-up over `before`, and a RESULT line for
bench/all.py. A candidate whose library is not installed is skipped with one line.
Nothing asserts; the temporary files are removed even when interrupted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = ("rows", "openpyxl", "xlsxwriter", "pyexcelerate", "rustpy", "stream", "export",
              "before")
BARE = ("openpyxl", "xlsxwriter", "pyexcelerate", "rustpy", "stream")
LIBRARY = {"openpyxl": "openpyxl", "xlsxwriter": "xlsxwriter", "pyexcelerate": "pyexcelerate",
           "rustpy": "rustpy_xlsxwriter"}
MAX_ITEMS = 5_000_000


def say(text: str = "") -> None:
    print(text, flush=True)


# -- in the child --------------------------------------------------------------------------

def _status() -> dict[str, int]:
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) // 1024
    return found


def run_candidate(name: str, source: str, target: str, before: str | None,
                  out: Any) -> None:
    """One candidate, in a fresh child: the snapshot read and the workbook written."""
    try:
        out.send(_run(name, source, target, before))
    except BaseException as exc:  # the parent prints what went wrong
        out.send({"error": f"{type(exc).__name__}: {exc}"})


def _run(name: str, source: str, target: str, before: str | None) -> dict[str, Any]:
    from itertools import chain

    from planner_tick import NOW

    from bot.ledger_io import ledger_sheets, write_ledger_to
    from messages.export import WORDS
    from storage.ledger import LedgerSnapshot

    if name in LIBRARY:
        importlib.import_module(LIBRARY[name])
    writer: Callable[..., Any] | None = None
    if name == "before":
        assert before is not None
        spec = importlib.util.spec_from_file_location("ledger_io_before", before)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        writer = module.write_ledger_file
    start = _status()
    started, cpu = time.perf_counter(), _cpu()
    extra: dict[str, Any] = {}
    with LedgerSnapshot(source) as snapshot:
        ledger = snapshot.ledger(NOW)
        if name == "export":
            write_ledger_to(ledger, WORDS, target)
        elif name == "before":
            assert writer is not None
            written = writer(ledger, WORDS)
            Path(target).write_bytes(written.data)
        else:
            sheets = ((plan.name, chain([plan.columns] if plan.columns else [], plan.rows))
                      for plan in ledger_sheets(ledger, WORDS))
            extra["cells"] = WRITERS[name](sheets, target)
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    end = _status()
    size = os.path.getsize(target) if os.path.exists(target) else 0
    return {"seconds": seconds, "cpu_s": cpu, "start_rss_mb": start["VmRSS"],
            "peak_rss_mb": end["VmHWM"], "size_mb": size / 2**20, **extra}


def _cpu() -> float:
    """CPU seconds of this process, its threads included (a fairer clock than the wall's
    on a shared machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rows_only(sheets: Iterable[tuple[str, Iterable[Sequence[object]]]], target: str) -> int:
    cells = 0
    for _name, rows in sheets:
        for row in rows:
            cells += len(row)
    return cells


def _openpyxl(sheets: Iterable[tuple[str, Iterable[Sequence[object]]]], target: str) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(target)


def _xlsxwriter(sheets: Iterable[tuple[str, Iterable[Sequence[object]]]], target: str) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    for name, rows in sheets:
        sheet = book.add_worksheet(name)
        for n, row in enumerate(rows):
            sheet.write_row(n, 0, row)
    book.close()


def _pyexcelerate(sheets: Iterable[tuple[str, Iterable[Sequence[object]]]], target: str) -> None:
    from pyexcelerate import Workbook

    book = Workbook()
    for name, rows in sheets:
        book.new_sheet(name, data=[list(row) for row in rows])
    book.save(target)


def _rustpy(sheets: Iterable[tuple[str, Iterable[Sequence[object]]]], target: str) -> None:
    from rustpy_xlsxwriter import FastExcel

    book = FastExcel(target)
    for name, rows in sheets:
        rows = iter(rows)
        header = [str(c) for c in next(rows, ())]
        if not header:  # the 说明: rows of one to three cells, no header
            header = ["A", "B", "C"]
        keys = [f"{n:02d} {h}" for n, h in enumerate(header)]  # unique, in order
        book.sheet(name, [dict(zip(keys, row, strict=False)) for row in rows])
    book.save()


def _stream(sheets: Iterable[tuple[str, Iterable[Sequence[object]]]], target: str) -> None:
    from bot import xlsx

    book = xlsx.Workbook(target)
    for name, rows in sheets:
        book.sheet(name).rows(rows)
    book.close()


WRITERS: dict[str, Callable[[Iterable[tuple[str, Iterable[Sequence[object]]]], str], Any]] = {
    "rows": _rows_only, "openpyxl": _openpyxl, "xlsxwriter": _xlsxwriter,
    "pyexcelerate": _pyexcelerate, "rustpy": _rustpy, "stream": _stream}


# -- in the parent -------------------------------------------------------------------------

def installed(name: str) -> bool:
    return name not in LIBRARY or importlib.util.find_spec(LIBRARY[name]) is not None


#: main just before the 台账 went to bot/xlsx.py (the merge of branch 'export'): what
#: "before" means. Once merged, main's own ledger_io.py is the new writer, and comparing with
#: it said 1.1× (the export against itself).
BEFORE_REF = "32c3c21286a879a5cef3f9126803f62861c4b065"


def before_source(tmp: Path, ref: str) -> Path | None:
    """The openpyxl bot/ledger_io.py at `ref` (the writer before this change), as a file to
    import."""
    try:
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:bot/ledger_io.py"],
                              check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    if "Workbook(write_only=True)" not in text:
        return None  # not the openpyxl writer this compares against
    path = tmp / "ledger_io_before.py"
    path.write_text(text, encoding="utf-8")
    return path


def measure(name: str, db: Path, tmp: Path, before: Path | None) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    target = tmp / f"{name}.xlsx"
    child = context.Process(target=run_candidate,
                            args=(name, str(db), str(target), str(before) if before else None,
                                  send))
    child.start()
    send.close()
    try:
        result = receive.recv()
    except EOFError:
        result = {"error": "the child died"}
    except BaseException:
        child.kill()  # interrupted: the child goes too, before its folder does
        child.join()
        raise
    child.join()
    if child.exitcode and "error" not in result:
        result = {"error": f"exit code {child.exitcode}"}
    target.unlink(missing_ok=True)
    return result


def load() -> str:
    try:
        with open("/proc/loadavg", encoding="ascii") as file:
            return " ".join(file.read().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    # SIGTERM as Ctrl-C: the temporary folder (the database, the workbooks) is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=500_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--only", default=",".join(CANDIDATES),
                        help="candidates to run, comma-separated: " + ", ".join(CANDIDATES))
    parser.add_argument("--budget", type=float, default=200.0,
                        help="peak RSS (MB) a floor candidate may take")
    parser.add_argument("--before-ref", default=BEFORE_REF,
                        help="the git ref whose bot/ledger_io.py is 'before' (default: the "
                             "last commit before bot/xlsx.py, main's openpyxl writer)")
    args = parser.parse_args()
    if not 1 <= args.items <= MAX_ITEMS:
        parser.error(f"--items must be between 1 and {MAX_ITEMS}")
    if not 11 <= args.people <= MAX_ITEMS:
        parser.error("--people must be at least 11 (the 书记, 班子成员 and 纪委书记 come first)")
    chosen = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in CANDIDATES]
    if unknown:
        parser.error(f"unknown candidates: {', '.join(unknown)}")

    from export_ledger import seed_all

    with tempfile.TemporaryDirectory(prefix="dutybot-bench-") as name:
        tmp = Path(name)
        db = tmp / "bench.db"
        started = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(
            target=seed_all, args=(db, args.items, args.people))
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(f"seeding failed (exit code {child.exitcode})")
        say(f"seeded {args.items} items for {args.people} people in "
            f"{time.perf_counter() - started:.1f} s ({db.stat().st_size / 2**20:.0f} MiB "
            f"database); {os.cpu_count()} cores, load {load()}")
        before = before_source(tmp, args.before_ref) if "before" in chosen else None
        results: dict[str, dict[str, Any]] = {}
        say(f"{'candidate':<14}{'seconds':>9}{'CPU':>9}{'peak RSS':>11}{'at start':>10}"
            f"{'size':>10}")
        for name_ in chosen:
            if not installed(name_):
                say(f"{name_:<14}skipped: {LIBRARY[name_]} is not installed")
                continue
            if name_ == "before" and before is None:
                say(f"{name_:<14}skipped: no openpyxl writer at {args.before_ref}")
                continue
            r = measure(name_, db, tmp, before)
            if "error" in r:
                say(f"{name_:<14}failed: {r['error']}")
                continue
            results[name_] = r
            say(f"{name_:<14}{r['seconds']:8.2f}s{r['cpu_s']:8.2f}s{r['peak_rss_mb']:8d} MiB"
                f"{r['start_rss_mb']:6d} MiB{r['size_mb']:7.1f} MiB   (load {load()})")
        report(results, args.budget, args.items)


def report(results: dict[str, dict[str, Any]], budget: float, items: int) -> None:
    mb = 2**20 / 1e6  # MiB → MB
    within = {n: r for n, r in results.items()
              if n in BARE and r["peak_rss_mb"] * mb <= budget}
    out: dict[str, Any] = {"items": items,
                           "candidates": {n: {"s": round(r["seconds"], 3),
                                              "cpu_s": round(r["cpu_s"], 3),
                                              "peak_rss_mb": r["peak_rss_mb"],
                                              "size_mb": round(r["size_mb"], 2)}
                                          for n, r in results.items()}}
    if within:
        floor = min(within, key=lambda n: within[n]["seconds"])
        out.update(floor=floor, floor_s=within[floor]["seconds"])
        cpu_floor = min(within, key=lambda n: within[n]["cpu_s"])
        out.update(cpu_floor=cpu_floor, cpu_floor_s=within[cpu_floor]["cpu_s"])
        say(f"floor: {floor}, {within[floor]['seconds']:.2f} s (the fastest bare candidate "
            f"within {budget:.0f} MB); by CPU time {cpu_floor}, "
            f"{within[cpu_floor]['cpu_s']:.2f} s")
    if "export" in results:
        export = results["export"]
        out.update(export_s=export["seconds"], export_cpu_s=export["cpu_s"],
                   export_peak_rss_mb=export["peak_rss_mb"], export_size_mb=export["size_mb"])
        if "floor_s" in out:
            out["ratio_to_floor"] = export["seconds"] / out["floor_s"]
            out["cpu_ratio_to_floor"] = export["cpu_s"] / out["cpu_floor_s"]
            say(f"export / floor: {out['ratio_to_floor']:.2f}× (goal ≤ 1.5×); by CPU time "
                f"{out['cpu_ratio_to_floor']:.2f}×")
        if "before" in results:
            before = results["before"]
            out.update(before_s=before["seconds"], before_cpu_s=before["cpu_s"],
                       before_peak_rss_mb=before["peak_rss_mb"],
                       speedup=before["seconds"] / export["seconds"],
                       cpu_speedup=before["cpu_s"] / export["cpu_s"])
            say(f"before / export: {out['speedup']:.1f}× faster (goal ≥ 3×); by CPU time "
                f"{out['cpu_speedup']:.1f}×")
        say(f"export peak RSS: {export['peak_rss_mb']} MiB (goal ≤ {budget:.0f} MB)")
    say("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
