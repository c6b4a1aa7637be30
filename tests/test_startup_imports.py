"""What `dutybot run` loads at start on SQLite (issue 25, point 4): the heavy libraries
load when first needed — openpyxl in the child that reads or checks a workbook, matplotlib
in the child that draws a chart, psycopg only on PostgreSQL, aiohttp only with --board —
so the bot starts sooner and idles smaller."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("openpyxl", "matplotlib", "numpy", "PIL", "psycopg", "psycopg_pool", "aiohttp",
         "jinja2", "playwright")


def test_the_run_path_loads_no_heavy_library():
    code = ("import json, sys\n"
            "import bot.cli, bot.app, bot.scheduling.scheduler, bot.services.registry\n"
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout) == []
