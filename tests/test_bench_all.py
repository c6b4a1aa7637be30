"""bench/all.py: its refusals of nonsense arguments, and its one table, with fake benches
(no real bench runs here: benchmarks are not tests)."""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_all():
    spec = importlib.util.spec_from_file_location("bench_all", ROOT / "bench" / "all.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_all"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench_all = load_all()


@pytest.mark.parametrize("argv, words", [
    (["--timeout", "0"], "--timeout must be more than 0"),
    (["--timeout", "-5"], "--timeout must be more than 0"),
    (["--timeout", "1e9"], "at most 86400"),
    (["--timeout", "nan"], "--timeout must be more than 0"),
    (["--timeout", "soon"], "invalid float value"),
    (["--only", "nosuch"], "no bench named nosuch"),
    (["--only", "planner_tick,nosuch"], "no bench named nosuch"),
    (["--only", " , "], "--only needs at least one bench name"),
    (["--quick", "extra"], "unrecognized arguments: extra"),
    (["--fast"], "unrecognized arguments: --fast"),
])
def test_nonsense_is_refused_in_one_line_before_anything_runs(argv, words, capsys):
    with pytest.raises(SystemExit) as refused:
        bench_all.main(argv)  # refused before any bench starts
    message = refused.value.code
    assert isinstance(message, str) and message.startswith("all.py: ")
    assert words in message
    assert "\n" not in message
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""  # no usage text, nothing ran


def fake(tmp_path: Path, name: str, body: str) -> str:
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent(body), encoding="utf-8")
    return str(script)


def test_one_table_with_each_bench_in_its_row_whatever_became_of_it(tmp_path, capsys,
                                                                    monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://192.0.2.1:3128")
    seen = tmp_path / "seen.json"
    good = fake(tmp_path, "good", f"""
        import json, os, sys, tempfile
        print("some human text first")
        folder = tempfile.mkdtemp()
        open(os.path.join(folder, "bench.db"), "w").close()
        json.dump({{"tmp": folder, "args": sys.argv[1:],
                   "proxy": os.environ.get("HTTPS_PROXY"),
                   "no_proxy": os.environ.get("NO_PROXY")}}, open({str(seen)!r}, "w"))
        print("RESULT " + json.dumps({{"ratio": 1.2, "lost": 0}}))
        """)
    failing = fake(tmp_path, "failing", """
        raise RuntimeError("the seed went wrong")
        """)
    slow = fake(tmp_path, "slow", """
        import time
        print("RESULT {}")
        time.sleep(60)
        """)
    silent = fake(tmp_path, "silent", "print('figures, but no RESULT line')\n")
    Bench, Row = bench_all.Bench, bench_all.Row

    def rows(r):
        return [Row("ratio", f"{r['ratio']:.2f}×", "replay", "≤ 1.3×", r["ratio"] <= 1.3),
                Row("lost", str(r["lost"]), "", "0", r["lost"] == 0),
                Row("note", "—")]

    benches = (Bench("good", good, ("--small",), ("--big",), 20, 20, rows),
               Bench("failing", failing, (), (), 20, 20, rows),
               Bench("slow", slow, (), (), 2, 2, rows),
               Bench("silent", silent, (), (), 20, 20, rows))

    assert bench_all.main(["--quick"], benches=benches) == 1  # some failed
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    assert cells[0] == ["bench", "figure", "value", "floor", "goal", "met"]
    assert set(lines[1]) <= {"|", "-"}
    body = cells[2:]
    assert all(len(row) == 6 for row in body)
    assert len({len(line) for line in lines}) == 1  # the columns line up
    assert body[0][0].startswith("good (") and body[0][1:] == ["ratio", "1.20×", "replay",
                                                                "≤ 1.3×", "yes"]
    assert body[1][1:] == ["lost", "0", "", "0", "yes"]
    assert body[2][0] == "" and body[2][-1] == "—"  # no goal: neither met nor missed
    assert body[3][0].startswith("failing (")
    assert body[3][2].startswith("FAILED (exit 1): RuntimeError: the seed went wrong")
    assert body[3][-1] == "**NO**"
    assert body[4][0].startswith("slow (") and body[4][2] == "TIMED OUT after 2 s"
    assert body[5][0].startswith("silent (") and body[5][2] == "FAILED: no RESULT line"
    assert len(body) == 6
    assert "machine: " in out and "--quick" in out

    child = json.loads(seen.read_text())
    assert child["args"] == ["--small"]  # the quick scales
    assert child["proxy"] is None and "127.0.0.1" in child["no_proxy"]
    assert not Path(child["tmp"]).exists()  # its temporary files went with the run's


def test_the_full_run_passes_the_full_scales(tmp_path, capsys):
    seen = tmp_path / "args.json"
    script = fake(tmp_path, "args", f"""
        import json, sys
        json.dump(sys.argv[1:], open({str(seen)!r}, "w"))
        print("RESULT " + json.dumps({{"ratio": 2.0, "lost": 1}}))
        """)
    Bench, Row = bench_all.Bench, bench_all.Row
    bench = Bench("args", script, ("--small",), ("--big",), 20, 20,
                  lambda r: [Row("ratio", f"{r['ratio']:.1f}×", "", "≤ 1.3×", r["ratio"] <= 1.3)])
    assert bench_all.main([], benches=(bench,)) == 0  # it ran; a goal missed is a figure
    assert json.loads(seen.read_text()) == ["--big"]
    row = next(line for line in capsys.readouterr().out.splitlines() if "args (" in line)
    assert "2.0×" in row and "**NO**" in row


def load_growth():
    spec = importlib.util.spec_from_file_location("bench_growth", ROOT / "bench" / "growth.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_growth"] = module
    spec.loader.exec_module(module)
    return module


def test_growth_exponent_is_that_of_a_power_law():
    growth = load_growth()
    assert growth.exponent(50_000, 1.0, 150_000, 3.0) == pytest.approx(1.0)
    assert growth.exponent(50_000, 1.0, 500_000, 100.0) == pytest.approx(2.0)
    assert growth.exponent(50_000, 0.0, 150_000, 3.0) is None


@pytest.mark.parametrize("scales, words", [
    ("50000", "at least two scales"),
    ("50000,abc", "whole numbers"),
    ("0,50000", "each scale must be from 1000"),
    ("50000,99999999", "each scale must be from 1000"),
    ("150000,50000", "must grow"),
    ("50000,50000", "must grow"),
])
def test_growth_refuses_nonsense_scales_in_one_line(scales, words, capsys):
    growth = load_growth()
    with pytest.raises(SystemExit) as stopped:
        growth.main(["--scales", scales])
    assert words in str(stopped.value)
    assert "\n" not in str(stopped.value)


def test_growth_rows_put_each_exponent_beside_its_goal():
    rows = bench_all.growth_rows({
        "scales": [50_000, 150_000], "planner_ratios": [2.5, 3.4],
        "benches": [{"name": "planner_tick", "points": [],
                     "steps": [{"from": 50_000, "to": 150_000, "k": 0.98, "floor_k": 1.01}]},
                    {"name": "export_ledger", "points": [], "error": "timed out"}]})
    shown = [(r.figure, r.value, r.met) for r in rows]
    assert ("planner_tick growth exponent 50000 → 150000", "0.98", True) in shown
    assert ("export_ledger", "FAILED: timed out", False) in shown
    assert ("planner tick / bare scan at 150000 items", "3.40×", False) in shown
