"""Bench (n): start-up and idle cost (issue 25, point 4).

    NO_PROXY=127.0.0.1,localhost .venv/bin/python bench/startup.py [--items 20000] [--rounds 3]

In one run, against the fake Bot API over HTTP on 127.0.0.1 (bot/fake_telegram), each
process started with one update already waiting (a stranger's /help):

  (1) a bare PTB echo bot (ApplicationBuilder, one MessageHandler, run_polling): seconds
      from spawning the process to the fake receiving its answer;
  (2) `dutybot run` on a database of `--items` items (the planner bench's organisation,
      with its reminder history): the same seconds. Goal: ≤ 2× (1);
  (3) `dutybot run`'s resident memory once idle (5 s after that answer; its own process:
      a child it spawned for work is not idle memory). Goal: ≤ 90 MB;
  (4) `dutybot demo`'s own process at its peak (VmHWM, read until it exits; a browser it
      starts is another process). Goal: ≤ 150 MB.

Best of `--rounds` for (1) and (2), each round on a fresh copy of the database, after one
uncounted round that fills the bytecode cache (an installed bot starts from its .pyc files).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import NoReturn

from planner_tick import seed

from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.server import FakeTelegramServer

DUTYBOT = Path(sys.executable).with_name("dutybot")
DEADLINE = 120.0
IDLE_WAIT = 5.0

ECHO = textwrap.dedent("""
    import os
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    async def echo(update, context):
        await update.message.reply_text(update.message.text)

    base = os.environ["TELEGRAM_API_BASE_URL"]
    app = (ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"])
           .base_url(base + "/bot").base_file_url(base + "/file/bot").build())
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.run_polling()
""")

NO_CLOCKWORK = '[summary]\nweekday = ""\n'
PYCACHE = {"folder": ""}  # set by main(): inside this run's temporary folder


def env_for(api: FakeTelegram | None, server: FakeTelegramServer | None,
            **extra: str) -> dict[str, str]:
    """A clean environment in which Python keeps its bytecode (in a folder of this run), as
    an installed bot does: PYTHONDONTWRITEBYTECODE, set on some developer machines, would
    make every start compile each of our modules again."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "DUTYBOT_")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
               PYTHONUNBUFFERED="1", PYTHONPYCACHEPREFIX=PYCACHE["folder"], **extra)
    if api is not None and server is not None:
        env.update(TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=server.root)
    return env


def status(pid: int, key: str) -> int | None:
    """A /proc/<pid>/status figure in KiB (VmRSS, VmHWM), or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as lines:
            for line in lines:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def first_answer(command: list[str], env: dict[str, str], api: FakeTelegram,
                 log: Path, idle: bool = False) -> tuple[float, float | None]:
    """Seconds from spawning `command` to the waiting /help's answer; and, when `idle`,
    its RSS in MiB IDLE_WAIT seconds later."""
    stranger = api.user(700_000 + len(api.users), "路人")
    api.send_text(stranger, "/help")
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                cwd=log.parent)
    try:
        while not api.bot_messages(stranger.id):
            if proc.poll() is not None or time.perf_counter() - started > DEADLINE:
                tail = log.read_text(encoding="utf-8", errors="replace")[-1500:]
                raise SystemExit(f"startup.py: {command[-1]} gave no answer:\n{tail}")
            time.sleep(0.005)
        took = time.perf_counter() - started
        rss = None
        if idle:
            time.sleep(IDLE_WAIT)
            kib = status(proc.pid, "VmRSS")
            rss = None if kib is None else kib / 1024
        return took, rss
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def demo_peak(folder: Path) -> tuple[float, float]:
    """`dutybot demo`'s own peak RSS in MiB (VmHWM, read until it exits), and its seconds."""
    env = env_for(None, None)
    started = time.perf_counter()
    proc = subprocess.Popen([str(DUTYBOT), "demo", "--output", str(folder / "demo.txt")],
                            env=env, cwd=folder, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    peak = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            kib = status(proc.pid, "VmHWM")
            if kib is not None:
                peak = max(peak, kib)
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    code = proc.wait()
    done.set()
    watcher.join()
    if code:
        raise SystemExit(f"startup.py: dutybot demo exited with {code}")
    return peak / 1024, time.perf_counter() - started


class OneLine(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.exit(f"startup.py: {message}")


def main(argv: list[str] | None = None) -> int:
    parser = OneLine(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-demo", action="store_true", help="leave out (4)")
    args = parser.parse_args(argv)
    if not 1000 <= args.items <= 1_000_000:
        parser.error("--items must be from 1000 to 1000000")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be from 1 to 20")
    with tempfile.TemporaryDirectory(prefix="dutybot-bench-startup-") as tmp:
        folder = Path(tmp)
        PYCACHE["folder"] = str(folder / "pycache")
        seeded = folder / "seeded.db"
        child = multiprocessing.get_context("spawn").Process(
            target=seed, args=(seeded, args.items, max(11, args.items // 50), True))
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(f"startup.py: seeding failed (exit code {child.exitcode})")
        rules = folder / "rules.toml"
        rules.write_text(NO_CLOCKWORK, encoding="utf-8")
        api = FakeTelegram()
        server = FakeTelegramServer(api).start()
        echo_s, bot_s, idle = [], [], []
        try:
            for n in range(-1, args.rounds):  # round -1 warms the bytecode cache, uncounted
                took, _ = first_answer([sys.executable, "-c", ECHO], env_for(api, server),
                                       api, folder / "echo.log")
                if n >= 0:
                    echo_s.append(took)
                db = folder / f"round{n}.db"
                shutil.copy(seeded, db)
                took, rss = first_answer(
                    [str(DUTYBOT), "run"],
                    env_for(api, server, DUTYBOT_DB_PATH=str(db), DUTYBOT_ADMIN_IDS="1",
                            DUTYBOT_RULES=str(rules)),
                    api, folder / "bot.log", idle=True)
                if n < 0:
                    continue
                bot_s.append(took)
                if rss is not None:
                    idle.append(rss)
                print(f"round {n + 1}: echo {echo_s[-1]:.2f} s, dutybot run {took:.2f} s, "
                      f"idle RSS {rss or 0:.0f} MiB", flush=True)
        finally:
            server.stop()
        echo, bot = min(echo_s), min(bot_s)
        print(f"(1) bare PTB echo bot, start to first answer: {echo:.2f} s (best of "
              f"{args.rounds})")
        print(f"(2) dutybot run on {args.items} items, start to first answer: {bot:.2f} s = "
              f"{bot / echo:.2f}x the echo (goal ≤ 2x)")
        idle_mb = max(idle) if idle else float("nan")
        print(f"(3) dutybot run idle RSS: {idle_mb:.0f} MiB (goal ≤ 90 MB)")
        result = {"items": args.items, "echo_s": echo, "run_s": bot, "ratio": bot / echo,
                  "idle_rss_mb": idle_mb}
        if not args.no_demo:
            peak, seconds = demo_peak(folder)
            print(f"(4) dutybot demo's own peak RSS: {peak:.0f} MiB in {seconds:.0f} s "
                  f"(goal ≤ 150 MB)")
            result.update(demo_peak_mb=peak, demo_s=seconds)
        print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
