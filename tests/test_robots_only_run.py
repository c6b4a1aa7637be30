"""`dutybot run` in an office without Telegram: no token, group robots only. The real
process, a fake 企业微信 server on 127.0.0.1."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from bot.clock import SystemClock
from bot.config import load_settings
from bot.domain.model import Actor
from bot.domain.target import Target
from bot.fake_robots import FakeRobots, FakeRobotServer
from bot.services.registry import Services
from tests.botprocess import DEADLINE, DUTYBOT, NO_OBLIGATIONS, clean_env

KEY = "5f1c2d3e-0a9b-4c8d-7e6f-112233445566"
CONSOLE = Actor(telegram_user_id=None, bootstrap_admin=True)
# no quiet hours: the test may run at any hour
RULES = NO_OBLIGATIONS + '[reminders]\nquiet_hours = ""\n'


@pytest.fixture
def wecom():
    robots = FakeRobots(time.time)
    server = FakeRobotServer(robots).start()
    yield robots, server
    server.stop()


async def _prepare(db_path, webhook: str) -> None:
    settings = load_settings(DUTYBOT_DB_PATH=db_path)
    services = await Services.open(settings, SystemClock(settings.tz))
    try:
        added = await services.channels.add(CONSOLE, "企业微信", "纪委工作群", webhook)
        now = services.clock.now()
        async with services.db.transaction() as tx:
            await tx.outbox.add(
                dedup_key="group_digest:r:1:test", target=Target.robot(added.entry.channel.id),
                person_id=None, kind="group_digest", day=now.date(), now=now,
                payload={"name": "", "entries": [{
                    "item": 1, "code": "C0001", "kind": "measure", "title": "核查报销凭证",
                    "due": "2026-11-27", "stage": "T+7", "owner": "周支书", "unit": "财务科",
                    "own": False, "status": "open", "talk": False}]})
    finally:
        await services.close()


async def test_without_a_token_the_bot_pushes_to_its_robots_and_stops_cleanly(
        tmp_path, wecom):
    robots, server = wecom
    db_path = tmp_path / "bot.db"
    await _prepare(db_path, server.root + robots.wecom.add_robot(KEY))
    (tmp_path / "rules.toml").write_text(RULES, encoding="utf-8")
    proc = subprocess.Popen(
        [str(DUTYBOT), "run"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=clean_env(DUTYBOT_DB_PATH=str(db_path), DUTYBOT_RULES=str(tmp_path / "rules.toml")))
    try:
        deadline = time.monotonic() + DEADLINE
        while not robots.wecom.received(KEY) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode()
            time.sleep(0.1)
        seen = robots.wecom.received(KEY)
        assert seen and "C0001" in seen[0]["markdown"]["content"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=DEADLINE) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = proc.stdout.read().decode()
    assert "without Telegram" in output
    assert KEY not in output  # the robot's key never reaches the log


def test_without_a_token_and_without_robots_run_says_the_token_is_missing(tmp_path):
    done = subprocess.run([str(DUTYBOT), "run"], cwd=tmp_path, capture_output=True, text=True,
                          env=clean_env(DUTYBOT_DB_PATH=str(tmp_path / "bot.db")), timeout=60)
    assert done.returncode == 2
    assert "没有设置 TELEGRAM_BOT_TOKEN" in done.stderr
    assert not (tmp_path / "bot.db").exists()  # nothing made
