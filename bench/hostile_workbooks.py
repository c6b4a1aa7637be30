"""Bench (f): hostile workbooks, each refused within 2 s and 256 MB.

    .venv/bin/python bench/hostile_workbooks.py              # every crafted file
    .venv/bin/python bench/hostile_workbooks.py --only bomb  # the ones whose name has "bomb"

Makes each crafted file of tests/hostile.py at full size, against the production
WorkbookLimits (far past the limit where a bigger file is a worse attack), plus a 1 GB zip
bomb written in a stream, the 20 000-row template (accepted) and a sheet whose <dimension>
claims A1:XFD1048576 over 3 000 rows (accepted: the claim is ignored). Each file is made
by a child (`--make`) and written to a temporary folder, then read by a fresh child
process (`python -c`, the way the bot may run the parse off its own process):
`bot.services.imports.parse_file`, timed in the child, the refusal or the rows read printed
back. The child's peak RSS comes from os.wait4's rusage; this script stays small, since a
child's peak RSS starts at its parent's. First line: a child that only imports the bot's
modules and reads a file (the floor).

Prints per file: its size, the outcome (the problem and the Chinese line, or the rows
read), the seconds in parse_file, the child's peak RSS, and whether a refusal met both goals
(< 2 s, < 256 MB). Nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS, GOAL_MB = 2.0, 256

# The refusal, in a fresh interpreter. (A child's peak RSS starts at its parent's when it is
# forked, so this script stays small: the files are made by another child, `--make`.)
CHILD = r"""
import json, sys, time
from pathlib import Path
data = Path(sys.argv[1]).read_bytes()
from bot.services.imports import WorkbookRefused, parse_file
from messages.imports import plain, workbook_refused
if sys.argv[2] == "floor":
    print(json.dumps({"outcome": "imports and the file only", "seconds": 0.0}))
    raise SystemExit
started = time.perf_counter()
try:
    book = parse_file(data)
    rows = ", ".join(f"{n} {len(s.rows)}" for n, s in book.sheets.items())
    outcome = f"accepted: rows read {rows}"
except WorkbookRefused as exc:
    outcome = f"{exc.problem.value}: {plain(workbook_refused(exc, 'x.xlsx'))}"
print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - started},
                 ensure_ascii=False))
"""


# name, maker (tests/hostile.py's, or this file's), how far past the limit
CASES: list[tuple[str, str, dict[str, object]]] = [
    ("zip bomb (ratio)", "zip_bomb", {"scale": 64}),
    ("over the unpacked budget", "over_budget", {}),
    ("huge declared size", "huge_declared_size", {}),
    ("data beyond its declared size", "lying_declared_size", {}),
    ("many members (as many as fit)", "many_members", {"scale": 50}),
    ("external link", "external_link", {}),
    ("vbaProject.bin", "vba_project", {}),
    ("macro-enabled content type", "macro_content_type", {}),
    ("20 001 rows", "too_many_rows", {}),
    ("one enormous row (200 000 cells)", "enormous_row", {"scale": 195}),
    ("one enormous shared string (3 M chars)", "enormous_string", {"scale": 100}),
    ("too many shared strings (1 M)", "many_strings", {"scale": 2}),
    ("deeply nested XML (131 072 levels)", "deep_xml", {"scale": 10_000}),
    ("entity expansion (DOCTYPE)", "entity_expansion", {}),
    ("one giant tag (6 MB of attributes)", "giant_tag", {"scale": 3}),
    ("too many elements", "too_many_elements", {}),
    ("styles of too many elements", "styles_bomb", {}),
    ("1.4 M elements kept outside the rows", "kept_elements", {"scale": 14}),
    ("one cell of 1 M children", "crowded_cell", {"scale": 122}),
    ("1 M elements outside the shared strings", "stray_strings", {"scale": 10}),
    ("a value at row 100 001", "row_too_far", {}),
    ("100 001 blank rows", "blank_rows", {}),
    ("zip bomb, 1 GB in one member", "gigabyte_bomb", {}),
    ("lying <dimension> A1:XFD1048576, 3 000 rows", "lying_dimension", {"scale": 3_000}),
    ("the 20 000-row template (accepted)", "full_template", {}),
    ("the most cells the limits let by: 20 002 rows of 35 (accepted)", "most_cells", {}),
]


def gigabyte_bomb() -> bytes:
    """The template with its 清单 sheet replaced by 1 GB of spaces, written in a stream."""
    import io
    import zipfile

    from tests import hostile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(hostile.base())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != hostile.ITEMS_PART:
                dst.writestr(info.filename, src.read(info.filename))
        with dst.open(hostile.ITEMS_PART, "w", force_zip64=True) as sheet:
            sheet.write(hostile.sheet(b"<sheetData/>")[:-len(b"</worksheet>")])
            block = b" " * (1 << 20)
            for _ in range(1024):
                sheet.write(block)
            sheet.write(b"</worksheet>")
    return out.getvalue()


def full_template() -> bytes:
    """The template with 20 000 items (and the example row): the most an import holds."""
    from datetime import date

    from bot.domain.workbook import LIMITS
    from tests.workbooks import ITEMS_ROWS, PEOPLE_ROWS, UNITS_ROWS, filled

    rows = [(f"W{n:05d}" if n % 2 else None, "问题", f"问题事项第{n}项：落实全面从严治党要求",
             "主体责任", "陈书记", None, None, "巡察", date(2026, 12, 5), None)
            for n in range(LIMITS.rows - len(ITEMS_ROWS))]
    return filled(UNITS_ROWS, PEOPLE_ROWS, [*ITEMS_ROWS, *rows])


def most_cells() -> bytes:
    """The 清单 sheet as full as the limits allow: the header, the example row and 20 000
    rows, each of 35 numbers (1.4 million elements), read whole (nothing is refused until
    the rows are checked)."""
    import random

    from bot.domain.workbook import LIMITS
    from tests import hostile

    rng = random.Random(7)
    rows = "".join(f'<row r="{r}">' + "".join(f"<c><v>{rng.randrange(1000)}</v></c>"
                                             for _ in range(35)) + "</row>"
                   for r in range(1, LIMITS.rows + 3))
    return hostile.rezip(hostile.base(),
                         {hostile.ITEMS_PART: hostile.sheet(f"<sheetData>{rows}</sheetData>")})


def make(name: str, path: Path) -> None:
    """In a child: make the file called `name` and write it to `path`."""
    sys.path.insert(0, str(ROOT))  # tests.hostile makes the files
    from bot.domain.workbook import LIMITS
    from tests import hostile

    maker, extra = next((m, e) for n, m, e in CASES if n == name)
    if maker in globals():
        path.write_bytes(globals()[maker]())
    else:
        path.write_bytes(getattr(hostile, maker)(LIMITS, **extra))


def measure(path: Path, mode: str = "parse") -> tuple[dict, float]:
    """Run the child on `path`; its JSON and its peak RSS in MB."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), mode],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = child.stdout.read(), child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stdout.close()
    child.stderr.close()
    if child.returncode != 0:
        return {"outcome": f"CHILD FAILED: {err.decode()[-300:]}", "seconds": float("nan")}, \
            usage.ru_maxrss / 1024
    return json.loads(out), usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="only the files whose name has this")
    parser.add_argument("--make", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        make(args.make[0], Path(args.make[1]))
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    tally = {"files": 0, "refused": 0, "over_goal": 0, "accepted": 0,
             "worst_refusal_s": 0.0, "worst_refusal_rss_mb": 0.0}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file.xlsx"
        subprocess.run([sys.executable, __file__, "--make", CASES[2][0], str(path)],
                       check=True, env=env)
        _, rss_floor = measure(path, "floor")
        print(f"floor (a child that imports the bot's modules and reads a file): "
              f"{rss_floor:.0f} MB peak RSS", flush=True)
        for name, _, _ in CASES:
            if args.only not in name:
                continue
            started = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--make", name, str(path)], check=True,
                           env=env)
            made = time.perf_counter() - started
            result, rss = measure(path)
            seconds = result["seconds"]
            ok = "ok" if seconds < GOAL_SECONDS and rss < GOAL_MB else "OVER THE GOAL"
            tally["files"] += 1
            if result["outcome"].startswith("accepted"):
                ok = "accepted: the goal is for refusals"
                tally["accepted"] += 1
            else:
                tally["refused"] += 1
                tally["over_goal"] += ok != "ok"
                tally["worst_refusal_s"] = max(tally["worst_refusal_s"], seconds)
                tally["worst_refusal_rss_mb"] = max(tally["worst_refusal_rss_mb"], rss)
            size = path.stat().st_size / 1024 / 1024
            print(f"- {name}: {size:.2f} MB file (made in {made:.1f} s); {seconds:.3f} s, "
                  f"{rss:.0f} MB peak RSS [{ok}]\n    {result['outcome'][:150]}", flush=True)
            path.unlink()
    tally["floor_rss_mb"] = rss_floor
    print("RESULT " + json.dumps(tally), flush=True)


if __name__ == "__main__":
    main()
