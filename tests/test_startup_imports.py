"""What `dutybot run` loads at start on SQLite (issue 25, point 4): the heavy libraries
load when first needed — openpyxl in the child that reads or checks a workbook, matplotlib
in the child that draws a chart, psycopg only on PostgreSQL, aiohttp only with --board,
holidays (and dateutil) only for a year chinesecalendar does not know — so the bot starts
sooner and idles smaller; and what it makes before its first answer is only what that
answer needs."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import tempfile
import textwrap

HEAVY = ("openpyxl", "matplotlib", "numpy", "PIL", "psycopg", "psycopg_pool", "aiohttp",
         "jinja2", "playwright", "holidays", "dateutil")


def test_the_run_path_loads_no_heavy_library():
    code = ("import json, sys\n"
            "import bot.cli, bot.app, bot.scheduling.scheduler, bot.services.registry\n"
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout) == []


async def test_the_robots_client_is_made_at_the_first_robot_message(monkeypatch):
    """`dutybot run` no longer makes the robots' HTTP client (and its TLS context) before
    its first answer: LazyClient makes it at the first post, once, and closes it."""
    import httpx

    from bot.channels.robots import transport

    made: list[httpx.AsyncClient] = []
    real = httpx.AsyncClient

    def client() -> httpx.AsyncClient:
        made.append(real(transport=httpx.MockTransport(
            lambda request: httpx.Response(200, json={"errcode": 0}))))
        return made[-1]

    monkeypatch.setattr(transport.httpx, "AsyncClient", client)
    lazy = transport.LazyClient()
    assert not lazy.opened and made == []
    for _ in range(2):
        response = await lazy.post("https://robot.example/send", content=b"{}")
        assert response.status_code == 200
    assert lazy.opened and len(made) == 1
    await lazy.aclose()
    assert not lazy.opened and made[0].is_closed


def test_run_freezes_what_start_up_loaded_before_its_loop_starts():
    """gc.freeze before asyncio.run: the first full collection of the start's 90 000
    objects no longer lands in the middle of the first getMe and the first answer; the
    collector, asleep through the imports, is awake again when the loop starts."""
    code = textwrap.dedent("""
        import gc, json, sys
        import bot.app, bot.cli
        from bot.config import load_settings
        seen = []
        def run(coroutine):
            coroutine.close()
            seen.append(gc.get_freeze_count() if gc.isenabled() else -1)
        bot.cli.asyncio.run = run
        bot.app.serve = lambda app: bot.app.asyncio.sleep(0)
        settings = load_settings(db_path=sys.argv[1])
        assert bot.cli._run(settings, "1:x") == 0
        print(json.dumps(seen))
    """)
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run([sys.executable, "-c", code, f"{folder}/bot.db"],
                              capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout.splitlines()[-1])
    assert len(seen) == 1 and seen[0] > 10_000


def test_ptbs_two_clients_are_its_builders_own_with_one_tls_context(monkeypatch):
    """build_application makes PTB's two requests (getUpdates' and the rest) as its builder
    would, only with one TLS context between them: the CA file is read once, not twice."""
    from telegram.ext import ApplicationBuilder

    from bot.app import build_application
    from bot.config import load_settings

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    ptbs = ApplicationBuilder().token("1:x").updater(None).build().bot
    ours = build_application(load_settings(), "1:x").bot
    contexts = []
    for index in (0, 1):
        theirs, mine = ptbs._request[index], ours._request[index]
        expected = {k: v for k, v in theirs._client_kwargs.items() if k != "verify"}
        made = {k: v for k, v in mine._client_kwargs.items() if k != "verify"}
        assert made == expected and mine.read_timeout == theirs.read_timeout
        contexts.append(mine._client_kwargs["verify"])
    assert isinstance(contexts[0], ssl.SSLContext) and contexts[0] is contexts[1]
